"""Column headers and vocabulary values in Chinese (the default: the files go to a park
office) or English. English values are the stored ones (`in_progress`), as the API's enums
spell them in lower case, so a filter in a spreadsheet matches what the API says."""

from __future__ import annotations

from parkgrid.vocabulary import (
    ASSIGNMENT_ROLES,
    DUTIES,
    ISSUE_CATEGORIES,
    ISSUE_STATUSES,
    SEVERITIES,
)
from resolvers.exports.base import Language

CATEGORY_ZH = dict(zip(ISSUE_CATEGORIES, (
    "招工用工", "审批许可", "项目建设", "融资", "基础设施", "安全隐患", "人才", "政策",
    "党建", "其他",
), strict=True))  # fmt: skip
STATUS_ZH = dict(zip(ISSUE_STATUSES, (
    "已上报", "已受理", "办理中", "已办结", "已核实", "已结案", "已驳回",
), strict=True))  # fmt: skip
SEVERITY_ZH = dict(zip(SEVERITIES, ("低", "中", "高", "严重"), strict=True))
DUTY_ZH = dict(zip(DUTIES, ("宣讲员", "联络员", "安全员", "帮扶员"), strict=True))
ROLE_ZH = dict(zip(ASSIGNMENT_ROLES, ("包片领导", "分块负责人", "联点干部"), strict=True))
ACTION_ZH = {
    "reported": "上报",
    "status_changed": "状态变更",
    "assigned": "交办",
    "commented": "备注",
    "outcome_recorded": "登记成效",
}
VALUES_ZH = {
    "category": CATEGORY_ZH, "status": STATUS_ZH, "severity": SEVERITY_ZH, "duty": DUTY_ZH,
    "role": ROLE_ZH, "action": ACTION_ZH,
}  # fmt: skip
"""Per vocabulary, since one stored word may mean two things (the category `policy` is 政策,
the duty `policy` 宣讲员)."""

YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}


def value(stored: str | None, lang: Language, vocabulary: str) -> str | None:
    """A stored value of a vocabulary (`status`, `category`, ...) as the language shows it
    (unknown values as they are)."""
    if stored is None or lang == "en":
        return stored
    return VALUES_ZH[vocabulary].get(stored, stored)


def yes_no(flag: bool | None, lang: Language) -> str | None:
    if flag is None:
        return None
    yes, no = YES_NO[lang]
    return yes if flag else no


HEADERS: dict[str, tuple[str, str]] = {
    # the ledger
    "id": ("编号", "id"),
    "uscc": ("统一社会信用代码", "uscc"),
    "enterprise": ("企业名称", "enterprise"),
    "zone_code": ("片区编码", "zone code"),
    "zone_name": ("片区", "zone"),
    "grid_code": ("网格编码", "grid code"),
    "grid_name": ("网格", "grid"),
    "category": ("问题类别", "category"),
    "title": ("问题标题", "title"),
    "description": ("问题描述", "description"),
    "status": ("状态", "status"),
    "severity": ("严重程度", "severity"),
    "reporter": ("上报人", "reporter"),
    "assignee": ("承办人", "assignee"),
    "responsible_unit": ("责任单位", "responsible unit"),
    "reported_at": ("上报时间", "reported at"),
    "due_date": ("办结时限", "due date"),
    "closed_at": ("结案时间", "closed at"),
    "days_open": ("历时(天)", "days open"),
    "overdue": ("是否逾期", "overdue"),
    "last_action": ("最近动态", "last event"),
    "last_at": ("最近动态时间", "last event at"),
    "last_actor": ("最近经办人", "last event by"),
    "last_note": ("最近动态说明", "last event note"),
    "issue_id": ("问题编号", "issue id"),
    "occurred_at": ("时间", "at"),
    "action": ("动态", "event"),
    "actor": ("经办人", "by"),
    "changes": ("变更内容", "changes"),
    "note": ("说明", "note"),
    # the statistics
    "item": ("项目", "item"),
    "value": ("数值", "value"),
    "reported": ("上报", "reported"),
    "closed": ("结案", "closed"),
    "closed_on_time": ("按期结案", "closed on time"),
    "rejected": ("驳回", "rejected"),
    "open": ("在办", "open"),
    "overdue_count": ("逾期", "overdue"),
    "due": ("应结案", "due"),
    "due_closed": ("应结已结", "due and closed"),
    "due_closed_on_time": ("应结按期结", "due and closed on time"),
    "closure_rate": ("结案率", "closure rate"),
    "on_time_closure_rate": ("按期结案率", "on-time closure rate"),
    "mean_days_to_close": ("平均办结天数", "mean days to close"),
    "p90_days_to_close": ("90%办结天数", "p90 days to close"),
    "enterprises": ("企业数", "enterprises"),
    "visits": ("走访次数", "visits"),
    "enterprises_visited": ("走访企业数", "enterprises visited"),
    "enterprises_not_visited": ("未走访企业数", "enterprises not visited"),
    "months": ("整月数", "full months"),
    "enterprises_visited_monthly": ("逐月走访企业数", "visited every month"),
    "monthly_visited_share": ("逐月走访占比", "visited every month, share"),
    "hazards_found": ("发现安全隐患", "hazards found"),
    "hazards_closed": ("整改安全隐患", "hazards rectified"),
    "hazards_on_time": ("按期整改", "hazards rectified on time"),
    "recruited_enterprises": ("招工企业数", "enterprises recruiting"),
    "people_hired": ("招工人数", "people hired"),
    "financed_enterprises": ("融资企业数", "enterprises financed"),
    "loan_cny": ("融资金额(元)", "loans (CNY)"),
    "hazards_rectified": ("成效:隐患整改数", "outcomes: hazards rectified"),
    "area": ("统计范围", "area"),
    "period": ("统计期", "period"),
    "timezone": ("时区", "time zone"),
    "total": ("合计", "total"),
    "everything": ("全部", "everything"),
    # the coverage report
    "code": ("编码", "code"),
    "name": ("名称", "name"),
    "grid_codes": ("所在网格", "covering grids"),
    "lon": ("经度", "lon"),
    "lat": ("纬度", "lat"),
    "last_visit": ("最近走访", "last visit"),
    "first": ("网格一", "first"),
    "second": ("网格二", "second"),
    "within": ("所属", "within"),
    "area_m2": ("面积(平方米)", "area (m²)"),
    "cadre_id": ("干部编号", "cadre id"),
    "cadre": ("干部", "cadre"),
    "days_overdue": ("逾期天数", "days overdue"),
    "has_lead": ("有负责人", "has a lead"),
    "without_liaison": ("无联点干部", "without liaison"),
    "on_boundary": ("位于边界", "on a boundary"),
    "open_issues": ("在办问题", "open issues"),
    "visited": ("已走访", "visited"),
    "visited_share": ("走访覆盖率", "visited share"),
    "overdue_hazards": ("逾期隐患", "overdue hazards"),
    "own_branch": ("独立党支部", "own branch"),
    "joint_branch": ("联合党支部", "joint branch"),
    "with_party_organisation": ("党组织覆盖", "with a party organisation"),
    "party_organisation_share": ("党组织覆盖率", "party organisation share"),
    "with_policy_liaison": ("工作覆盖", "with a policy liaison"),
    "policy_liaison_share": ("工作覆盖率", "policy liaison share"),
    "served_policy": ("宣讲服务", "served: policy"),
    "served_liaison": ("联络服务", "served: liaison"),
    "served_safety": ("安全服务", "served: safety"),
    "served_support": ("帮扶服务", "served: support"),
    "zones": ("片区数", "zones"),
    "grids": ("网格数", "grids"),
    # the recruitment notice
    "industry": ("行业", "industry"),
    "position": ("岗位", "position"),
    "headcount": ("招聘人数", "headcount"),
    "hiring_enterprises": ("招聘企业数", "enterprises hiring"),
    "wage_min": ("月薪下限(元)", "monthly wage from (CNY)"),
    "wage_max": ("月薪上限(元)", "monthly wage to (CNY)"),
}


def header(key: str, lang: Language) -> str:
    zh, en = HEADERS[key]
    return zh if lang == "zh" else en


def headers(keys: tuple[str, ...], lang: Language) -> tuple[str, ...]:
    return tuple(header(key, lang) for key in keys)
