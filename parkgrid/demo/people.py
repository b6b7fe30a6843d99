"""Synthetic enterprises and cadres. Every name is invented and marked as demo data."""

from __future__ import annotations

import random
from dataclasses import dataclass

from shapely.geometry import Point

from parkgrid.demo.geometry import AreaShape
from parkgrid.uscc import ALPHABET, check_character

COUNTY = "430624"
BRAND_SYLLABLES = "瑞丰鑫达恒盛宏华源泰昌嘉祥润博远创联越晟锦宇航德信诚睿弘璟翔凯"
INDUSTRIES = (
    ("新材料", "新材料科技"),
    ("装备制造", "机械制造"),
    ("食品加工", "食品"),
    ("电子信息", "电子科技"),
    ("生物医药", "生物科技"),
    ("纺织服装", "纺织"),
    ("现代物流", "供应链管理"),
    ("绿色建材", "建材"),
)
ROADS = ("金龙大道", "洞庭路", "文星路", "湘滨路", "凤凰路", "高新大道", "工业园路", "鹤龙湖路")
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌辉宁波晨"
UNITS = ("经济发展局", "安全生产监督管理局", "党群工作部", "招商合作局", "财政金融局", "规划建设局")


@dataclass(frozen=True)
class DemoEnterprise:
    uscc: str
    name: str
    industry: str
    address: str
    location: Point
    grid_code: str


@dataclass(frozen=True)
class DemoCadre:
    key: int
    name: str
    title: str
    unit: str
    phone: str


def uscc(rng: random.Random, taken: set[str]) -> str:
    while True:
        body = "91" + COUNTY + "MA" + "".join(rng.choice(ALPHABET) for _ in range(7))
        code = body + check_character(body)
        if code not in taken:
            taken.add(code)
            return code


def brand(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = "".join(rng.sample(BRAND_SYLLABLES, 2))
        if name not in taken:
            taken.add(name)
            return name


def point_inside(rng: random.Random, grid: AreaShape) -> Point:
    """A point well inside the grid (never on its boundary)."""
    west, south, east, north = grid.boundary.bounds
    margin_x, margin_y = (east - west) * 0.05, (north - south) * 0.05
    return Point(
        round(rng.uniform(west + margin_x, east - margin_x), 6),
        round(rng.uniform(south + margin_y, north - margin_y), 6),
    )


def spread(total: int, grids: list[AreaShape]) -> list[AreaShape]:
    """Assign `total` enterprises to grids, roughly by area, every grid getting some."""
    weights = [grid.boundary.area for grid in grids]
    shares = [max(1, round(total * w / sum(weights))) for w in weights]
    shares[-1] += total - sum(shares)
    return [grid for grid, share in zip(grids, shares, strict=True) for _ in range(share)]


def enterprises(
    rng: random.Random, grids: list[AreaShape], total: int = 216
) -> list[DemoEnterprise]:
    codes: set[str] = set()
    brands: set[str] = set()
    made = []
    for grid in spread(total, grids):
        industry, trade = rng.choice(INDUSTRIES)
        made.append(
            DemoEnterprise(
                uscc=uscc(rng, codes),
                name=f"演示{brand(rng, brands)}{trade}有限公司",
                industry=industry,
                address=f"湘阴县高新区{rng.choice(ROADS)}{rng.randint(1, 399)}号",
                location=point_inside(rng, grid),
                grid_code=grid.code,
            )
        )
    return made


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def cadre(rng: random.Random, key: int, title: str) -> DemoCadre:
    phone = f"1330000{key:04d}"
    return DemoCadre(key, person_name(rng), title, "湘阴高新区" + rng.choice(UNITS), phone)


def cadres(rng: random.Random, zones: int, grids: int, staff: int) -> list[DemoCadre]:
    titles = ["党工委委员"] * zones + ["部门负责人"] * grids + ["科员"] * staff
    return [cadre(rng, key, title) for key, title in enumerate(titles)]
