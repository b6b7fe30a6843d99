"""`parkgrid import` of the vector files a park office has: Shapefile (the .shp, its folder, a
zip) with GBK attributes and a CGCS2000 or Gauss-Kruger .prj, GeoPackage with two layers, KML,
KMZ and FlatGeobuf, all written by GDAL or by hand as apps write them. What is stored is read
back with plain SQL and compared with the source: coordinates transformed by pyproj alone,
Chinese attributes decoded. Bad files are refused, naming the feature and field, with every
table's count unchanged."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from shapely.geometry import Point, Polygon
from sqlalchemy import Engine

from parkgrid.importer import ImportRejected, import_file
from parkgrid.importer.options import ReadOptions
from tests.parkgrid.import_files import (
    ADDRESSES,
    CGCS2000,
    GK_114,
    GRIDS,
    INDUSTRIES,
    NAMES,
    UTM_49N,
    apart,
    counts,
    enterprise_fields,
    in_crs,
    spots_in,
    stored_points,
    wgs_to_gcj,
    write_vector,
    zipped,
)
from tests.parkgrid.importer_park import (
    PARK,
    SPOTS,
    Cli,
    park_feature,
    uscc,
    write,
    zone_feature,
)

EngineFor = Callable[[str], Engine]


@pytest.fixture
def park_url(empty_url: str, tmp_path: Path) -> str:
    """The Xiangyin park P and its zone Z (GeoJSON, the format already trusted)."""
    import_file(empty_url, "parks", write(tmp_path / "p.geojson", [park_feature()]))
    import_file(empty_url, "zones", write(tmp_path / "z.geojson", [zone_feature()]))
    return empty_url


def refused(url: str, engine: Engine, kind: str, path: Path, **options: object) -> str:
    """The rejection's text, after checking that no table changed."""
    before = counts(engine)
    crs = options.pop("crs", None)
    with pytest.raises(ImportRejected) as caught:
        import_file(url, kind, path, crs, options=ReadOptions(**options))  # type: ignore[arg-type]
    assert counts(engine) == before
    return caught.value.render()


def assert_spots_stored(engine: Engine) -> None:
    """Every enterprise where pyproj put it, its Chinese attributes intact."""
    stored = stored_points(engine)
    assert set(stored) == {uscc(n) for n in range(len(SPOTS))}
    for n, (lon, lat) in enumerate(SPOTS):
        name, address, industry, x, y = stored[uscc(n)]
        assert (name, address, industry) == (NAMES[n], ADDRESSES[n], INDUSTRIES[n])
        assert (x, y) == pytest.approx((lon, lat), abs=1e-7)


def gbk_shapefile(folder: Path, srid: int | None = GK_114, **fields: list[str]) -> Path:
    folder.mkdir()
    return write_vector(folder / "企业.shp", spots_in(srid), enterprise_fields() | fields, srid,
                        encoding="GBK")  # fmt: skip


@pytest.mark.parametrize("container", ["shp", "folder", "zip"])
def test_a_gauss_kruger_shapefile_with_gbk_attributes_lands_on_the_spots(
    park_url: str, tmp_path: Path, engine_for: EngineFor, container: str
) -> None:
    """The .prj (as GDAL writes it, ESRI-style) gives EPSG:4547, the .cpg says GBK."""
    shp = gbk_shapefile(tmp_path / "shp")
    assert (tmp_path / "shp" / "企业.cpg").read_text() == "GBK"
    path = {"shp": shp, "folder": shp.parent,
            "zip": zipped(shp.parent, tmp_path / "企业.zip", inside="企业")}[container]  # fmt: skip
    report = import_file(park_url, "enterprises", path)
    assert (report.inserted, report.outside_parks) == (len(SPOTS), 0)
    assert_spots_stored(engine_for(park_url))


def test_a_cgcs2000_shapefile_of_grids_lands_on_the_grids(
    park_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    shapes = [in_crs(shape, CGCS2000) for _, shape in GRIDS.values()]
    fields = {"编码": list(GRIDS), "名称": [name for name, _ in GRIDS.values()],
              "所属片区": ["Z"] * len(GRIDS)}  # fmt: skip
    (tmp_path / "g").mkdir()
    write_vector(tmp_path / "g" / "grids.shp", shapes, fields, CGCS2000, encoding="GBK")
    assert import_file(park_url, "grids", tmp_path / "g").inserted == 2
    engine = engine_for(park_url)
    for code, (_, shape) in GRIDS.items():
        assert apart(engine, "grid", code, shape) < 1e-7


@pytest.mark.parametrize("cpg", [None, "UTF-8"])
def test_gbk_attributes_without_a_true_cpg_are_refused_then_read_with_encoding(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli, cpg: str | None
) -> None:
    """No .cpg (GDAL would guess Latin-1 and store nonsense) or one that lies: refused with
    the hint; --encoding GBK reads the same file right."""
    shp = gbk_shapefile(tmp_path / "shp")
    if cpg is None:
        (tmp_path / "shp" / "企业.cpg").unlink()
    else:
        (tmp_path / "shp" / "企业.cpg").write_text(cpg)
    engine = engine_for(park_url)
    text = refused(park_url, engine, "enterprises", shp)
    assert "cannot be read" in text and "--encoding" in text and "GBK" in text
    status, out, err = cli(park_url, "enterprises", str(shp), "--encoding", "GBK")
    assert (status, err) == (0, ""), err
    assert out.startswith("enterprises: 10 inserted")
    assert_spots_stored(engine)


def test_a_shapefile_without_its_prj_needs_crs(
    park_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    shp = gbk_shapefile(tmp_path / "shp")
    (tmp_path / "shp" / "企业.prj").unlink()
    text = refused(park_url, engine_for(park_url), "enterprises", shp)
    assert "the Shapefile has no .prj" in text and "--crs" in text
    assert import_file(park_url, "enterprises", shp, "EPSG:4547").inserted == len(SPOTS)
    assert_spots_stored(engine_for(park_url))


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # the .prj is copied in after
def test_degrees_under_a_gauss_kruger_prj_are_refused_by_the_area_of_use(
    park_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    """The .prj says metres, the numbers are degrees: the area-of-use check still applies
    and names the features as the office counts them."""
    (tmp_path / "shp").mkdir()
    path = tmp_path / "shp" / "e.shp"
    write_vector(path, spots_in(None), enterprise_fields(), None, encoding="GBK")
    shutil.copy(gbk_shapefile(tmp_path / "gk").with_suffix(".prj"), path.with_suffix(".prj"))
    text = refused(park_url, engine_for(park_url), "enterprises", path)
    assert "10 of 10 features lie outside the area of use of EPSG:4547" in text
    assert f'feature 1 {uscc(0)} "{NAMES[0]}"' in text
    assert "look like degrees" in text and "features[" not in text


def test_a_geopackage_with_two_layers_needs_layer(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    path = tmp_path / "园区.gpkg"
    zone = in_crs(PARK, CGCS2000)
    write_vector(path, [zone], {"code": ["Z2"], "name": ["北片区"], "park": ["P"]}, CGCS2000,
                 layer="zones", geometry_type="MultiPolygon", promote_to_multi=True)  # fmt: skip
    grids = [in_crs(shape, CGCS2000) for _, shape in GRIDS.values()]
    fields = {"code": list(GRIDS), "name": [n for n, _ in GRIDS.values()], "zone": ["Z2", "Z2"]}
    write_vector(path, grids, fields, CGCS2000, layer="grids", append=True)
    engine = engine_for(park_url)
    text = refused(park_url, engine, "zones", path)
    assert "several layers with features (zones, grids): choose one with --layer" in text
    assert "no layer 'parks'" in refused(park_url, engine, "zones", path, layer="parks")
    assert cli(park_url, "zones", str(path), "--layer", "zones")[0] == 0
    status, _, err = cli(park_url, "grids", str(path), "--layer", "grids")
    assert (status, err) == (0, ""), err
    for code, (_, shape) in GRIDS.items():
        assert apart(engine, "grid", code, shape) < 1e-7


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>湘阴高新区网格</name>
<Folder><name>网格</name>{placemarks}</Folder></Document></kml>"""
PLACEMARK = """<Placemark><name>{name}</name><ExtendedData>
<Data name="{code_name}"><value>{code}</value></Data><Data name="zone"><value>Z</value></Data>
</ExtendedData><Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>
</LinearRing></outerBoundaryIs></Polygon></Placemark>"""


def kml_of_grids(code_name: str = "code") -> str:
    """As a mapping app exports drawn boundaries: placemarks in a folder, lon,lat,0."""
    marks = [
        PLACEMARK.format(name=name, code=code, code_name=code_name,
                         ring=" ".join(f"{x!r},{y!r},0" for x, y in shape.exterior.coords))
        for code, (name, shape) in GRIDS.items()
    ]  # fmt: skip
    return KML.format(placemarks="".join(marks))


ENTERPRISE_MARK = """<Placemark><name>{name}</name><ExtendedData>
<Data name="uscc"><value>{uscc}</value></Data><Data name="address"><value>{address}</value></Data>
<Data name="industry"><value>{industry}</value></Data></ExtendedData>
<Point><coordinates>{lon!r},{lat!r}</coordinates></Point></Placemark>"""


def kml_of_enterprises() -> str:
    marks = [
        ENTERPRISE_MARK.format(name=NAMES[n], uscc=uscc(n), address=ADDRESSES[n],
                               industry=INDUSTRIES[n], lon=lon, lat=lat)
        for n, (lon, lat) in enumerate(SPOTS)
    ]  # fmt: skip
    return KML.format(placemarks="".join(marks))


def test_kml_grids_and_kmz_enterprises(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    """KML is WGS 84 by definition: a contradicting --crs is refused. GDAL turns Chinese
    ExtendedData names into underscores (编码 and 名称 alike), so they are refused."""
    kml = tmp_path / "网格.kml"
    kml.write_text(kml_of_grids("编码"), encoding="utf-8")
    engine = engine_for(park_url)
    text = refused(park_url, engine, "grids", kml)
    assert "ExtendedData names 编码 are not in Latin letters" in text
    kml.write_text(kml_of_grids(), encoding="utf-8")
    text = refused(park_url, engine, "grids", kml, crs="EPSG:4490")
    assert "declares EPSG:4326 but the import was told EPSG:4490" in text
    assert import_file(park_url, "grids", kml).inserted == 2
    for code, (_, shape) in GRIDS.items():
        assert apart(engine, "grid", code, shape) < 1e-12
    kmz = tmp_path / "企业.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", kml_of_enterprises())
    status, _, err = cli(park_url, "enterprises", str(kmz))
    assert (status, err) == (0, ""), err
    assert_spots_stored(engine)


def test_a_flatgeobuf_in_utm(park_url: str, tmp_path: Path, engine_for: EngineFor) -> None:
    shapes = [in_crs(shape, UTM_49N) for _, shape in GRIDS.values()]
    fields = {"code": list(GRIDS), "name": [n for n, _ in GRIDS.values()], "zone": ["Z", "Z"]}
    path = write_vector(tmp_path / "grids.fgb", shapes, fields, UTM_49N)
    assert import_file(park_url, "grids", path).inserted == 2
    for code, (_, shape) in GRIDS.items():
        assert apart(engine_for(park_url), "grid", code, shape) < 1e-7


def test_mixed_geometry_types_are_refused_naming_the_features(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    shapes = [PARK, Point(112.9, 28.7), Polygon([(112.9, 28.7), (112.91, 28.7), (112.91, 28.71)])]
    fields = {"code": ["Z1", "Z2", "Z3"], "name": ["东片区", "西片区", "南片区"], "park": ["P"] * 3}
    path = write_vector(tmp_path / "z.gpkg", shapes, fields, 4326, geometry_type="Unknown")
    before = counts(engine_for(park_url))
    status, _, err = cli(park_url, "zones", str(path))
    assert status == 1 and counts(engine_for(park_url)) == before
    assert (
        "feature 2 (name 西片区), geometry: must be a Polygon or MultiPolygon, got 'Point'"
    ) in err
    assert err.count("\n  ") == 1


def test_an_unknown_field_is_refused_until_mapped_or_ignored(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    shp = gbk_shapefile(tmp_path / "shp", 联系人=["张三"] * len(SPOTS))
    engine = engine_for(park_url)
    text = refused(park_url, engine, "enterprises", shp)
    assert "field 联系人: holds values parkgrid does not read for enterprises" in text
    assert "--columns ignore=联系人" in text
    status, _, err = cli(park_url, "enterprises", str(shp), "--columns", "ignore=联系人")
    assert (status, err) == (0, ""), err
    assert_spots_stored(engine)


def test_a_feature_problem_names_the_feature_and_field(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    codes = [uscc(n) for n in range(len(SPOTS))]
    codes[2] = codes[2][:17] + ("0" if codes[2][17] != "0" else "1")
    codes[4] = codes[0]
    shp = gbk_shapefile(tmp_path / "shp", 信用代码=codes)
    before = counts(engine_for(park_url))
    status, _, err = cli(park_url, "enterprises", str(shp))
    assert status == 1 and counts(engine_for(park_url)) == before
    assert f"feature 3 (name {NAMES[2]}), field 信用代码: check character" in err
    assert f"feature 5 (name {NAMES[4]}), field 信用代码: duplicate" in err
    assert "also given at feature 1" in err


def test_options_a_format_cannot_use_are_refused(
    park_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    shp = gbk_shapefile(tmp_path / "shp")
    engine = engine_for(park_url)
    assert "--sheet cannot apply to a Shapefile" in refused(park_url, engine, "enterprises", shp,
                                                            sheet="企业")  # fmt: skip
    text = refused(park_url, engine, "enterprises", shp, datum="gcj02")
    assert "--datum gcj02" in text and "EPSG:4547 is not longitude and latitude" in text
    geojson = write(tmp_path / "e.geojson", [])
    assert "--encoding cannot apply to GeoJSON" in refused(
        park_url, engine, "enterprises", geojson, encoding="GBK"
    )


def test_a_zip_of_several_shapefiles_needs_layer(
    park_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    shp = gbk_shapefile(tmp_path / "shp")
    shapes = [in_crs(shape, CGCS2000) for _, shape in GRIDS.values()]
    fields = {"编码": list(GRIDS), "名称": [n for n, _ in GRIDS.values()], "片区": ["Z", "Z"]}
    write_vector(shp.parent / "网格.shp", shapes, fields, CGCS2000, encoding="GBK")
    both = zipped(shp.parent, tmp_path / "园区.zip")
    text = refused(park_url, engine_for(park_url), "enterprises", both)
    assert "it holds several Shapefiles (企业, 网格): choose one with --layer" in text
    assert import_file(park_url, "grids", both, options=ReadOptions(layer="网格")).inserted == 2
    assert import_file(park_url, "enterprises", both, options=ReadOptions(layer="企业")).inserted
    assert_spots_stored(engine_for(park_url))


def test_geojson_copied_from_amap_is_moved_off_gcj02(
    park_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    """The datum applies to GeoJSON's positions as read, as to a table's."""
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(wgs_to_gcj(*spot))},
         "properties": {"uscc": uscc(n), "name": NAMES[n], "address": ADDRESSES[n],
                        "industry": INDUSTRIES[n]}}
        for n, spot in enumerate(SPOTS)
    ]  # fmt: skip
    path = write(tmp_path / "e.geojson", features)
    report = import_file(park_url, "enterprises", path, options=ReadOptions(datum="gcj02"))
    assert report.inserted == len(SPOTS)
    stored = stored_points(engine_for(park_url))
    for n, (lon, lat) in enumerate(SPOTS):
        assert stored[uscc(n)][3:] == pytest.approx((lon, lat), abs=1e-7)
