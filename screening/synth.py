"""The synthetic shipment network behind `tiersight demo` and the benchmarks.

`generate(out_dir, scale=, seed=)` writes:

- `shipments.csv` (CONTRACT 2.1): bills of lading as messy as real ones. Each shipment spells its
  parties its own way (case, legal forms, typos, abbreviations, a city appended, pinyin instead of
  English, now and then the Chinese legal name); countries come as ISO2, alpha-3 or English names;
  HS codes dotted or not, 6 to 10 digits; `shipper_id`/`consignee_id` are left empty so the loader
  has to resolve names; `origin_country` is missing on about a third of the rows (the loader falls
  back to the shipper's country) but always present on re-shipped goods.
- `companies.csv` (CONTRACT 2.2): a registry covering about 80 % of the companies, with canonical
  names and aliases; the other companies exist only as bill-of-lading names.
- `suppliers.csv` (CONTRACT 2.3): the supplier list of one US importer, written the way purchasing
  departments write them, with a few unmatched, ambiguous and unusable rows.
- `truth.json`: the answer key (every spelling a company can take, what each supplier row should
  resolve to) for tests and matching benchmarks; nothing in the screening reads it.

The network has the tiers of the lithium-ion battery and permanent-magnet supply chains: raw
materials -> refiners and cathode/anode makers -> cell and magnet makers -> pack and motor makers
-> US importers, with capital goods shipped into cell and magnet makers, transshipment through
traders in VN/MY/TH/MX that re-ship Chinese goods under the same HS code (origin stays CN),
Chinese magnets reaching the US inside European motors and generators, US manufacturers that build
magnets and motors into cars, axles, wind turbines, loudspeakers and MRI systems and export them (some
with no magnets of metal upstream), a German magnet finisher shipping many small lots, unrelated goods
(furniture, apparel, toys, coffee) to the same companies, and decoys named like the big suppliers.
Values are lognormal per shipment and sized so that, tier by tier, Chinese origin dominates as in the
seed report. The companies named in the seed report and in NDAA FY2024 section 154 appear under their
real names so restricted-party rules fire in the demo; every other company, and every shipment, is
invented.

Determinism: `random.Random` streams derived from the seed, never the global generator, and
iteration in a fixed order. The same seed and `as_of` give byte-identical files; `as_of` only
moves the dates (shipments lie in the `WINDOW_DAYS` before it). `suppliers.csv` depends on the
seed alone (not on `as_of` or `scale`), so the committed `examples/suppliers.csv` fits any network
generated with the default seed.

Scale: cluster 0 is the demo network (a few thousand shipments). Each further unit of scale adds a
cluster of invented companies of the same shape, which also trades with cluster 0's large Chinese
suppliers; rows, companies and those suppliers' recipients grow linearly. Rows are written cluster
by cluster, so memory holds one cluster's rows at a time.
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import itemgetter
from pathlib import Path
from statistics import NormalDist

SHIPMENT_COLUMNS = (
    "shipment_id",
    "date",
    "shipper_name",
    "shipper_address",
    "shipper_country",
    "consignee_name",
    "consignee_address",
    "consignee_country",
    "origin_country",
    "hs_code",
    "description",
    "value_usd",
    "quantity",
    "weight_kg",
    "port_of_lading",
    "port_of_unlading",
    "shipper_id",
    "consignee_id",
)
COMPANY_COLUMNS = ("company_id", "name", "aliases", "address", "country", "lei")
SUPPLIER_COLUMNS = (
    "supplier_name",
    "supplier_country",
    "supplier_address",
    "supplier_ref",
    "part_number",
    "part_description",
    "hs_code",
    "annual_value_usd",
)

WINDOW_DAYS = 4 * 365  # shipments are dated within this many days before as_of
_YEARS = WINDOW_DAYS / 365
_DENSITY = 1.5  # multiplies the shipments per drawn trade edge
# Standard normal quantiles: indexing with one uniform draw is several times cheaper than gauss().
_NORMAL = tuple(NormalDist().inv_cdf((i + 0.5) / 4096) for i in range(4096))


@dataclass(frozen=True)
class SynthStats:
    """What `generate` wrote: row counts per file and the importer whose supplier list it is."""

    shipments: int  # rows of shipments.csv
    companies: int  # rows of companies.csv (the registry)
    suppliers: int  # rows of suppliers.csv
    network_companies: int  # every company that trades, registered or not
    clusters: int
    importer: str  # canonical name of the importer that submits suppliers.csv
    files: tuple[Path, ...] = ()


def _table(text: str, columns: int) -> list[list[str]]:
    """Rows of a `|`-separated text table, cells trimmed and missing trailing cells empty.

    Blank lines and `#` lines are skipped.
    """
    rows = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            cells = [cell.strip() for cell in line.split("|")]
            rows.append(cells + [""] * (columns - len(cells)))
    return rows


# --------------------------------------------------------------------------------------------
# Goods: what each HS subheading looks like on a bill of lading.


@dataclass(frozen=True, slots=True)
class _Good:
    descriptions: tuple[str, ...]
    value: float  # median declared value of one shipment, USD
    usd_per_kg: float
    kg_per_package: float
    lines: tuple[str, ...]  # national suffixes (digits 7-10) seen on US entries


_GOODS_TABLE = """
# hs6  | median USD | USD/kg | kg/package | US lines       | descriptions on bills
# batteries and their parts
850760 |     180000 |     12 |        400 | 0010 0020      | LITHIUM ION BATTERY PACK; LI-ION BATTERIES
850790 |     200000 |     10 |        500 | 4000 8000      | LITHIUM ION CELLS; PRISMATIC LFP CELLS
854231 |      60000 |    400 |         20 | 0000           | BATTERY MANAGEMENT IC; MICROCONTROLLERS
# magnets and the products that carry them
850511 |      60000 |     60 |        200 | 0070 0090 0050 | NDFEB PERMANENT MAGNETS; NEODYMIUM MAGNETS
850152 |     110000 |     20 |        300 | 4040 8040      | AC MOTOR MULTI-PHASE
850133 |      90000 |     25 |        300 | 2000 4000      | BRUSHLESS DC MOTOR; DC MOTORS
850132 |     140000 |     20 |        400 | 4500 2000      | EV TRACTION MOTOR; DC MOTOR 750W-75KW
850164 |     300000 |     15 |       3000 | 0020           | AC GENERATOR; PERMANENT MAGNET GENERATOR
850231 |     900000 |      8 |      20000 | 0000           | WIND TURBINE GENERATING SET; WIND TURBINE NACELLE
850300 |     150000 |     10 |       1000 | 9546 6500      | PARTS OF GENERATORS; WIND GENERATOR PARTS
841370 |      50000 |     15 |        300 | 2005 3000      | CENTRIFUGAL PUMP; CIRCULATING PUMPS
850519 |      25000 |      3 |        500 | 3000 1000      | FERRITE MAGNETS; HARD FERRITE MAGNET SEGMENTS
# US-made goods that carry magnets (and parts that do not)
870380 |     900000 |     22 |       2000 | 0020 0060      | ELECTRIC PASSENGER CARS; BATTERY ELECTRIC VEHICLE
870850 |     150000 |     12 |        400 | 5110           | ELECTRIC DRIVE AXLES; E-AXLE ASSEMBLIES
870899 |      60000 |      6 |        500 | 6810           | MOTOR VEHICLE PARTS; STAMPED BRACKETS
851822 |     150000 |     25 |        100 | 0000           | LOUDSPEAKER SYSTEMS; SPEAKER CABINETS
901813 |     300000 |     60 |       3000 | 0000           | MAGNETIC RESONANCE IMAGING APPARATUS; MRI SYSTEM
# capital goods
731815 |      30000 |      2 |        800 | 2065 5030      | STEEL BOLTS; HEX BOLTS; SCREWS AND BOLTS OF STEEL
731816 |      20000 |      2 |        800 | 0010 0060      | STEEL NUTS; HEX NUTS
761610 |      25000 |      6 |        500 | 1000 7000      | ALUMINUM SCREWS AND BOLTS; ALUMINIUM RIVETS
848790 |     120000 |     10 |        500 | 0080           | MACHINE PARTS; MACHINERY PARTS NON-ELECTRICAL
847989 |     250000 |     20 |       5000 | 9499 9897      | BATTERY PRODUCTION EQUIPMENT; STACKING MACHINE
847990 |      60000 |     15 |        300 | 9496 9596      | PARTS OF MACHINES; MACHINE PARTS FOR BATTERY LINE
847982 |     200000 |     12 |       4000 | 0040           | SLURRY MIXER; MIXING MACHINE; JET MILL
853650 |      25000 |     25 |        200 | 9065 7000      | ELECTRICAL SWITCHES; DC CONTACTORS; SWITCHES
853620 |      30000 |     30 |        200 | 0040 0080      | CIRCUIT BREAKERS
853690 |      20000 |     40 |        200 | 4000 8530      | ELECTRICAL CONNECTORS; BUSBAR TERMINALS
851419 |     450000 |     15 |       8000 | 0000           | VACUUM SINTERING FURNACE; RESISTANCE FURNACE
851420 |     400000 |     15 |       8000 | 0000           | INDUCTION FURNACE; CALCINATION KILN
# battery materials
283691 |     250000 |     15 |       1000 | 0010 0050      | LITHIUM CARBONATE
282520 |     250000 |     15 |       1000 | 0000           | LITHIUM HYDROXIDE MONOHYDRATE; LITHIUM HYDROXIDE
283324 |     120000 |      4 |       1000 | 0000           | NICKEL SULPHATE; NICKEL SULFATE HEXAHYDRATE
283329 |     100000 |      5 |       1000 | 5000           | COBALT SULPHATE; MANGANESE SULFATE
810520 |     180000 |     35 |       1000 | 0000           | COBALT METAL; UNWROUGHT COBALT
250410 |      50000 |    1.5 |       1000 | 5000           | NATURAL GRAPHITE POWDER; SPHERICAL GRAPHITE
380110 |     140000 |      6 |       1000 | 5000           | ARTIFICIAL GRAPHITE ANODE MATERIAL
282690 |     110000 |     20 |        500 | 9000           | LITHIUM HEXAFLUOROPHOSPHATE
282590 |     280000 |     12 |       1000 | 9000           | NCM PRECURSOR HYDROXIDE
382499 |     350000 |     25 |       1000 | 3910 9397      | NCM CATHODE MATERIAL
284290 |     230000 |      8 |       1000 | 9000           | LITHIUM IRON PHOSPHATE; LFP CATHODE POWDER
392119 |      80000 |      8 |        500 | 0000           | MICROPOROUS PE SEPARATOR FILM; BATTERY SEPARATOR
741011 |     110000 |     11 |        800 | 0000           | ELECTROLYTIC COPPER FOIL
760711 |      70000 |      4 |        800 | 3000 6000      | ALUMINIUM FOIL; BATTERY ALUMINUM FOIL
# magnet materials
284690 |     150000 |     60 |        500 | 2040 8000      | RARE EARTH OXIDES; PRASEODYMIUM NEODYMIUM OXIDE
280530 |     200000 |     80 |        500 | 0000           | NEODYMIUM METAL; PRND METAL; RARE EARTH METALS
720299 |     140000 |     30 |       1000 | 5000           | NDFEB ALLOY STRIP CAST FLAKE; FERROBORON
# unrelated goods
940360 |      25000 |    2.5 |        100 | 8081 8093      | WOODEN FURNITURE; DINING TABLES
940330 |      20000 |    2.5 |        100 | 0000           | OFFICE DESKS; WOODEN OFFICE FURNITURE
610910 |      18000 |     12 |         50 | 8004 0011      | COTTON T-SHIRTS; MENS KNIT T-SHIRTS
950300 |      15000 |      6 |         60 | 0090 0073      | PLASTIC TOYS; TOY SETS
090111 |      45000 |      5 |         60 | 0015 0045      | GREEN COFFEE BEANS; ARABICA COFFEE NOT ROASTED
691200 |       8000 |      3 |         80 | 4810 5000      | CERAMIC COFFEE MUGS; STONEWARE MUGS
810411 |      60000 |      3 |       1000 | 0000           | MAGNESIUM INGOTS; UNWROUGHT MAGNESIUM
940542 |      20000 |     10 |        100 | 4000 8000      | LED LAMPS; LED LIGHTING FIXTURES
"""
_GOODS: dict[str, _Good] = {
    hs6: _Good(
        tuple(descriptions.split("; ")), float(value), float(per_kg), float(per_package), tuple(lines.split())
    )
    for hs6, value, per_kg, per_package, lines, descriptions in _table(_GOODS_TABLE, 6)
}

# fmt: off
# What each role makes; a company may narrow it (a foil maker makes copper or aluminium foil).
_PRODUCTS: dict[str, tuple[str, ...]] = {
    "li_chem": ("283691", "282520"), "nickel": ("283324",), "cobalt": ("810520", "283329"),
    "graphite": ("250410",), "re_oxide": ("284690",), "re_metal": ("280530",), "magnet_alloy": ("720299",),
    "precursor": ("282590",), "cathode_nmc": ("382499",), "cathode_lfp": ("284290",), "anode": ("380110",),
    "electrolyte": ("282690",), "separator": ("392119",), "foil": ("741011", "760711"), "bms": ("854231",),
    "cell": ("850790",), "pack": ("850760",), "magnet": ("850511",), "motor": ("850152", "850133", "850132"),
    "motor_eu": ("850152", "850133", "850164", "841370"), "fastener": ("731815", "731816", "761610"),
    "machine": ("847989", "847990", "848790", "847982"), "switch": ("853650", "853620", "853690"),
    "furnace": ("851419", "851420"), "trader": (), "furniture": ("940360", "940330"), "apparel": ("610910",),
    "toys": ("950300",), "coffee": ("090111",), "mugs": ("691200",), "magnesium": ("810411",),
    "lamps": ("940542",), "importer": (), "manufacturer": (), "buyer": (),
}
# fmt: on
_CELL = ("850790", "850760")  # cell makers that also export finished packs


# --------------------------------------------------------------------------------------------
# Companies.


@dataclass(slots=True)
class _Company:
    """A company while the network is drawn; _Builder._register fills id, registry flag and spellings."""

    key: str
    role: str
    country: str
    name: str
    city: str
    province: str = ""
    address: str = ""
    zh: str | None = None  # Chinese legal name
    aliases: tuple[str, ...] = ()  # registry aliases
    alt_names: tuple[str, ...] = ()  # other names seen on bills: pinyin, trade names
    products: tuple[str, ...] = ()
    weight: float = 1.0  # how readily buyers pick it
    size: float = 1.0  # multiplies its shipment values
    origin: str | None = None  # declared origin of the goods it ships (re-shippers)
    registered: bool = True
    lei: str | None = None
    real: bool = False  # a real company (named in the seed report or NDAA section 154)
    shared: bool = False  # sells to every cluster, not only its own
    unique: bool = False  # not repeated in the clusters that scale adds
    focal: bool = False  # the importer whose supplier list is written
    company_id: str = ""
    cluster: int = 0
    spellings: list[str] = field(default_factory=list)  # on bills, weighted by repetition


# fmt: off
_CN_CITIES: dict[str, tuple[str, str]] = {  # city -> (Chinese, province)
    "Ningbo": ("宁波", "Zhejiang"), "Shenzhen": ("深圳", "Guangdong"), "Dongguan": ("东莞", "Guangdong"),
    "Changzhou": ("常州", "Jiangsu"), "Suzhou": ("苏州", "Jiangsu"), "Hefei": ("合肥", "Anhui"),
    "Ganzhou": ("赣州", "Jiangxi"), "Baotou": ("包头", "Inner Mongolia"), "Xiamen": ("厦门", "Fujian"),
    "Huizhou": ("惠州", "Guangdong"), "Yichun": ("宜春", "Jiangxi"), "Wuxi": ("无锡", "Jiangsu"),
    "Foshan": ("佛山", "Guangdong"), "Tianjin": ("天津", "Tianjin"), "Chengdu": ("成都", "Sichuan"),
    "Zhuhai": ("珠海", "Guangdong"), "Jiangmen": ("江门", "Guangdong"), "Yibin": ("宜宾", "Sichuan"),
    "Quzhou": ("衢州", "Zhejiang"), "Zibo": ("淄博", "Shandong"), "Changsha": ("长沙", "Hunan"),
    "Jingmen": ("荆门", "Hubei"), "Qingdao": ("青岛", "Shandong"), "Wenzhou": ("温州", "Zhejiang"),
    "Jinchang": ("金昌", "Gansu"), "Jixi": ("鸡西", "Heilongjiang"), "Guiyang": ("贵阳", "Guizhou"),
    "Huzhou": ("湖州", "Zhejiang"), "Chenzhou": ("郴州", "Hunan"), "Jiujiang": ("九江", "Jiangxi"),
    "Zhengzhou": ("郑州", "Henan"), "Jiaxing": ("嘉兴", "Zhejiang"), "Zhuzhou": ("株洲", "Hunan"),
    "Shantou": ("汕头", "Guangdong"), "Taiyuan": ("太原", "Shanxi"),
}
_CN_SYLLABLES: dict[str, str] = {  # pinyin -> character, for invented brand names
    "Heng": "恒", "Xin": "鑫", "Hua": "华", "Sheng": "盛", "De": "德", "Da": "达", "Rui": "瑞", "Jia": "嘉",
    "Hong": "宏", "Tai": "泰", "Bo": "博", "Yuan": "远", "Feng": "丰", "Xing": "兴", "Yong": "永",
    "Jin": "锦", "Chang": "昌", "Tian": "天", "Zhong": "中", "Li": "力", "Ke": "科", "Hai": "海", "An": "安",
    "Yi": "益", "Cheng": "诚", "Jie": "捷", "Ming": "明", "Kai": "凯", "Lei": "磊", "Ding": "鼎", "Hui": "辉",
    "Tong": "通", "Ci": "磁", "Mei": "美", "Rong": "荣", "Hao": "浩", "Run": "润", "Yu": "宇", "Le": "乐",
    "Gan": "赣", "Lin": "林", "He": "和", "Mo": "膜", "Neng": "能", "Fu": "富", "Lan": "兰", "Yan": "燕",
}
# Industry words per role: English, Chinese, pinyin and (for foil makers) what exactly they make.
_CN_INDUSTRIES: dict[str, tuple[tuple[str, str, str, tuple[str, ...]], ...]] = {
    "li_chem": (("Lithium Industry", "锂业", "Liye", ()),),
    "nickel": (("Nickel Cobalt", "镍钴", "Niegu", ()),),
    "cobalt": (("Cobalt Industry", "钴业", "Guye", ()),),
    "graphite": (("Graphite", "石墨", "Shimo", ()),),
    "re_oxide": (("Rare Earth", "稀土", "Xitu", ()),),
    "re_metal": (("Rare Earth Metals", "稀土金属", "Xitu Jinshu", ()),),
    "magnet_alloy": (("Alloy Materials", "合金材料", "Hejin Cailiao", ()),),
    "precursor": (("New Materials", "新材料", "Xincailiao", ()),),
    "cathode_nmc": (("Cathode Materials", "正极材料", "Zhengji Cailiao", ()),),
    "cathode_lfp": (("Lithium Iron Phosphate", "磷酸铁锂", "Linsuan Tieli", ()),),
    "anode": (("Carbon Materials", "碳材料", "Tan Cailiao", ()),
              ("Anode Materials", "负极材料", "Fuji Cailiao", ())),
    "electrolyte": (("Fluorochemical", "氟化工", "Fuhuagong", ()),),
    "separator": (("Membrane Technology", "隔膜科技", "Gemo Keji", ()),),
    "foil": (("Copper Foil", "铜箔", "Tongbo", ("741011",)), ("Aluminium Foil", "铝箔", "Lvbo", ("760711",))),
    "bms": (("Microelectronics", "微电子", "Weidianzi", ()),),
    "cell": (("Power Battery", "动力电池", "Dongli Dianchi", _CELL),
             ("Lithium Battery Technology", "锂电池科技", "Lidianchi Keji", _CELL)),
    "pack": (("New Energy Technology", "新能源科技", "Xinnengyuan Keji", ()),
             ("Energy Storage Technology", "储能科技", "Chuneng Keji", ())),
    "magnet": (("Magnetic Materials", "磁性材料", "Cixing Cailiao", ()), ("Magnet", "磁业", "Ciye", ())),
    "motor": (("Electric Motor", "电机", "Dianji", ()), ("Motor Technology", "电机科技", "Dianji Keji", ())),
    "fastener": (("Fastener", "紧固件", "Jingujian", ()), ("Standard Parts", "标准件", "Biaozhunjian", ())),
    "machine": (("Intelligent Equipment", "智能装备", "Zhineng Zhuangbei", ()),
                ("Machinery", "机械", "Jixie", ())),
    "switch": (("Electric", "电气", "Dianqi", ()),),
    "furnace": (("Kiln Equipment", "窑炉设备", "Yaolu Shebei", ()),),
    "furniture": (("Furniture", "家具", "Jiaju", ()),),
    "apparel": (("Garment", "服装", "Fuzhuang", ()),),
    "toys": (("Toys", "玩具", "Wanju", ()),),
    "lamps": (("Lighting", "照明", "Zhaoming", ()),),
}
# fmt: on


def _cn(key: str, role: str, city: str, syllables: Sequence[str], industry: int = 0) -> _Company:
    """An invented Chinese company: city + two-syllable brand + industry, in English, pinyin and Chinese."""
    en_ind, zh_ind, py_ind, products = _CN_INDUSTRIES[role][industry]
    zh_city, province = _CN_CITIES[city]
    brand = "".join(syllables).capitalize()
    zh_brand = "".join(_CN_SYLLABLES[s] for s in syllables)
    return _Company(
        key=key,
        role=role,
        country="CN",
        name=f"{city} {brand} {en_ind} Co., Ltd.",
        city=city,
        province=province,
        zh=f"{zh_city}{zh_brand}{zh_ind}有限公司",
        aliases=(f"{zh_city}{zh_brand}", f"{brand} {en_ind}"),
        alt_names=(f"{city} {brand} {py_ind} Co., Ltd.", f"{city} {brand} {py_ind} Youxian Gongsi"),
        products=products,
    )


def _real_companies() -> list[_Company]:
    """The six NDAA FY2024 section 154 battery makers, the seed report's top Chinese suppliers, decoys."""
    # fmt: off
    named = [
        _Company("catl", "cell", "CN", "Contemporary Amperex Technology Co., Limited", "Ningde", "Fujian",
                 "Jiaocheng District, Ningde, Fujian", "宁德时代新能源科技股份有限公司",
                 aliases=("CATL", "Ningde Times", "Ningde Shidai", "宁德时代"),
                 alt_names=("Ningde Times, Ltd.", "Ningde Shidai New Energy Technology Co., Ltd.", "CATL"),
                 products=_CELL, weight=30.0, size=4.5),
        _Company("byd", "pack", "CN", "BYD Company Limited", "Shenzhen", "Guangdong",
                 "Pingshan District, Shenzhen, Guangdong", "比亚迪股份有限公司",
                 aliases=("BYD", "Build Your Dreams", "比亚迪"), alt_names=("BYD Co., Ltd.",), size=1.2),
        _Company("findreams", "cell", "CN", "FinDreams Battery Co., Ltd.", "Shenzhen", "Guangdong",
                 "Pingshan District, Shenzhen, Guangdong", "弗迪电池有限公司",
                 aliases=("FinDreams Battery", "BYD FinDreams", "弗迪电池"),
                 alt_names=("Fudi Battery Co., Ltd.", "BYD FinDreams Battery Co., Ltd."),
                 products=_CELL, weight=2.5, size=1.2),
        _Company("eve", "cell", "CN", "EVE Energy Co., Ltd.", "Huizhou", "Guangdong", "Huizhou, Guangdong",
                 "惠州亿纬锂能股份有限公司",
                 aliases=("EVE", "EVE Energy", "亿纬锂能", "Huizhou Yiwei Lithium Energy"),
                 alt_names=("Huizhou Yiwei Lithium Energy Co., Ltd.", "Huizhou EVE Energy Co., Ltd."),
                 products=_CELL, weight=1.5),
        _Company("eve_power", "cell", "CN", "Hubei EVE Power Co., Ltd.", "Jingmen", "Hubei", "Jingmen, Hubei",
                 "湖北亿纬动力有限公司", aliases=("EVE Power", "Hubei Yiwei Power", "湖北亿纬动力"),
                 alt_names=("Hubei Yiwei Power Co., Ltd.", "Hubei Yiwei Dongli Co., Ltd."),
                 products=_CELL, weight=4.0, size=0.35),
        _Company("gotion", "cell", "CN", "Gotion High-tech Co., Ltd.", "Hefei", "Anhui", "Hefei, Anhui",
                 "国轩高科股份有限公司", aliases=("Gotion", "Guoxuan High-Tech", "国轩高科"),
                 alt_names=("Guoxuan High-Tech Co., Ltd.", "Gotion Hi-Tech Co., Ltd."),
                 products=_CELL, weight=1.5),
        _Company("hithium", "cell", "CN", "Xiamen Hithium Energy Storage Technology Co., Ltd.", "Xiamen",
                 "Fujian", "Xiamen, Fujian", "厦门海辰储能科技股份有限公司",
                 aliases=("Hithium", "HiTHIUM", "海辰储能", "Xiamen Haichen Energy Storage"),
                 alt_names=("Xiamen Haichen Energy Storage Technology Co., Ltd.",
                            "Hithium Energy Storage Co., Ltd."),
                 products=_CELL, weight=1.6, size=1.2),
        _Company("aesc", "cell", "CN", "Envision AESC (Jiangsu) Co., Ltd.", "Wuxi", "Jiangsu",
                 "Wuxi, Jiangsu", "远景动力技术(江苏)有限公司", aliases=("Envision AESC", "AESC", "远景动力"),
                 alt_names=("AESC (Jiangsu) Co., Ltd.", "Yuanjing Dongli Jishu (Jiangsu) Co., Ltd."),
                 products=_CELL, weight=1.2),
        _Company("envision", "motor", "CN", "Envision Energy Co., Ltd.", "Shanghai", "Shanghai", "Shanghai",
                 "远景能源有限公司", aliases=("Envision Energy", "Envision", "远景能源"),
                 alt_names=("Yuanjing Energy Co., Ltd.",), products=("850231", "850300"), weight=0.4),
        _Company("ecoflow", "pack", "CN", "EcoFlow Inc.", "Shenzhen", "Guangdong",
                 "Nanshan District, Shenzhen, Guangdong", "深圳市正浩创新科技股份有限公司",
                 aliases=("EcoFlow", "Shenzhen EcoFlow", "正浩创新"),
                 alt_names=("Shenzhen EcoFlow Innovation Technology Co., Ltd.",
                            "Shenzhen Zhenghao Innovation Technology Co., Ltd."),
                 weight=0.0),  # sells through its Hong Kong company only
        _Company("ecoflow_hk", "pack", "HK", "Hong Kong EcoFlow Technology Limited", "Hong Kong", "",
                 "Kwun Tong, Kowloon, Hong Kong", aliases=("EcoFlow Hong Kong", "EcoFlow HK"),
                 alt_names=("EcoFlow Technology (Hong Kong) Limited",), origin="CN", weight=3.0, size=2.5),
        _Company("aside", "pack", "CN", "Jiangsu Aside Energy Co., Ltd.", "Jiangsu", "Jiangsu", "Jiangsu",
                 aliases=("Aside Energy",), alt_names=("Jiangsu Aside New Energy Co., Ltd.",),
                 weight=0.8, size=2.5),
        _Company("kelu", "pack", "CN", "Shenzhen Kelu Electronic Co., Ltd.", "Shenzhen", "Guangdong",
                 "Shenzhen, Guangdong", aliases=("Kelu Electronic",),
                 alt_names=("Shenzen Kelu Electronic Co., Ltd.",),
                 weight=0.15, size=5.0),
        _Company("anker", "pack", "CN", "Anker Innovations Technology Co., Ltd.", "Changsha", "Hunan",
                 "Changsha, Hunan", "安克创新科技股份有限公司",
                 aliases=("Anker", "Anker Innovations", "安克创新"),
                 alt_names=("Anker Innovations Limited", "Hunan Anker Innovations Technology Co., Ltd."),
                 weight=3.5, size=0.4),
    ]
    for company in named:
        company.real, company.shared = True, company.weight > 0  # EcoFlow Inc. sells via Hong Kong only
    return [
        *named,
        # Decoys: names close to the big suppliers' (or to magnet makers'), trades that are not theirs.
        _Company("decoy_ningde", "mugs", "HK", "Ningde Times Trading Co., Limited", "Hong Kong", "",
                 "Flat 12B, 88 Hennessy Road, Wan Chai, Hong Kong", aliases=("Ningde Times Trading",),
                 weight=0.6, unique=True),
        _Company("decoy_remt", "magnesium", "CN", "Rare Earth Magnesium Technology Group Holdings Limited",
                 "Baotou", "Inner Mongolia", "Baotou, Inner Mongolia",
                 aliases=("Rare Earth Magnesium Technology Group", "REMT"), unique=True),
        _Company("decoy_eve", "apparel", "CN", "EVE Garments Co., Ltd.", "Guangzhou", "Guangdong",
                 "No. 18 Huangpu Avenue, Tianhe District, Guangzhou, Guangdong", aliases=("EVE Garments",),
                 unique=True),
        _Company("decoy_kelu", "lamps", "CN", "Shenzhen Kelu Optoelectronics Co., Ltd.", "Shenzhen",
                 "Guangdong", "No. 9 Keji Road, Bao'an District, Shenzhen, Guangdong",
                 aliases=("Kelu Optoelectronics",), unique=True),
        _Company("summit_ridge", "importer", "US", "Summit Ridge Power Systems, Inc.", "Reno", "NV",
                 "1200 Gateway Parkway, Reno, NV 89521", aliases=("Summit Ridge Power", "SRPS"),
                 focal=True, unique=True),
    ]
    # fmt: on


# The invented cast of cluster 0. Chinese rows give a city and a hyphenated pinyin brand, from which
# the English, pinyin and Chinese names are built; other rows give the name. Options: `ind` picks the
# industry wording, `products` narrows what it makes, `exports` marks a cell maker that also ships packs,
# `weight`/`size` as in _Company, `origin` for re-shippers, `registered=no` keeps it out of the registry,
# `alias` adds a registry alias.
_CAST = """
# key | role | cc | city | name, or pinyin brand if CN | options
yichun_ganlin | li_chem | CN | Yichun | gan-lin
yibin_tianhe | li_chem | CN | Yibin | tian-he
salar_andino | li_chem | CL | Antofagasta | Salar Andino Litio SpA
pilbara_chem | li_chem | AU | Kwinana | Pilbara Lithium Chemicals Pty Ltd
litio_puna | li_chem | AR | Salta | Litio Puna S.A.
sulawesi_nickel | nickel | ID | Morowali | PT Sulawesi Nickel Chemical
jinchang_hengxin | nickel | CN | Jinchang | heng-xin
katanga_cobalt | cobalt | CD | Lubumbashi | Katanga Cobalt Refining SARL
quzhou_jinyuan | cobalt | CN | Quzhou | jin-yuan
jixi_xingda | graphite | CN | Jixi | xing-da
jixi_tianxing | graphite | CN | Jixi | tian-xing
balama_graphite | graphite | MZ | Pemba | Balama Graphite Lda
baotou_huaxin | re_oxide | CN | Baotou | hua-xin | weight=2
ganzhou_ruixing | re_oxide | CN | Ganzhou | rui-xing | weight=2
kachin_minerals | re_oxide | MM | Myitkyina | Kachin Mineral Resources Co., Ltd.
westland_re | re_oxide | AU | Kalgoorlie | Westland Rare Earths Pty Ltd
mojave_re | re_oxide | US | Barstow | Mojave Rare Earth Minerals LLC | weight=0.5
ganzhou_jinxin | re_metal | CN | Ganzhou | jin-xin
baotou_hengsheng | re_metal | CN | Baotou | heng-sheng
ningbo_tianyuan | magnet_alloy | CN | Ningbo | tian-yuan
baotou_xinda | magnet_alloy | CN | Baotou | xin-da
jingmen_ruitai | precursor | CN | Jingmen | rui-tai
guiyang_anda | precursor | CN | Guiyang | an-da
ulsan_precursor | precursor | KR | Ulsan | Ulsan Precursor Chemical Co., Ltd. | weight=2; size=1.5
ningbo_rongxin | cathode_nmc | CN | Ningbo | rong-xin | weight=2
changzhou_huade | cathode_nmc | CN | Changzhou | hua-de | weight=2
pohang_materials | cathode_nmc | KR | Pohang | Pohang Energy Materials Co., Ltd. | weight=2.5; size=1.5
shikoku_cathode | cathode_nmc | JP | Niihama | Shikoku Cathode Chemical Corporation | weight=2; size=1.5
changsha_yufeng | cathode_lfp | CN | Changsha | yu-feng
yibin_tianxing | cathode_lfp | CN | Yibin | tian-xing
zibo_hongtai | cathode_lfp | CN | Zibo | hong-tai
huzhou_kaijin | anode | CN | Huzhou | kai-jin
chenzhou_ruida | anode | CN | Chenzhou | rui-da | ind=1
kyushu_carbon | anode | JP | Kitakyushu | Kyushu Carbon Materials Co., Ltd. | weight=2; size=1.5
quzhou_fuxing | electrolyte | CN | Quzhou | fu-xing
zibo_haolan | electrolyte | CN | Zibo | hao-lan
foshan_jiemo | separator | CN | Foshan | jie-mo
wuxi_hengmo | separator | CN | Wuxi | heng-mo
shiga_separator | separator | JP | Moriyama | Shiga Separator Film Co., Ltd. | weight=2; size=1.5
chungju_separator | separator | KR | Chungju | Chungju Separator Co., Ltd. | weight=2; size=1.5
jiujiang_tongxin | foil | CN | Jiujiang | tong-xin
zhengzhou_mingyuan | foil | CN | Zhengzhou | ming-yuan | ind=1
iksan_foil | foil | KR | Iksan | Iksan Copper Foil Co., Ltd. | products=741011; weight=2; size=1.5
hsinchu_semi | bms | TW | Hsinchu | Hsinchu Power Semiconductor Corp. | weight=2; size=1.5
shenzhen_xinhe | bms | CN | Shenzhen | xin-he
jiangmen_haoneng | cell | CN | Jiangmen | hao-neng
yichun_jiayuan | cell | CN | Yichun | jia-yuan | ind=1
kansai_cell | cell | JP | Osaka | Kansai Lithium Cell Corporation | exports; weight=3; size=2.5
chungcheong_cell | cell | KR | Cheongju | Chungcheong Battery Cell Co., Ltd. | exports; weight=3; size=2.5
lausitz_zell | cell | DE | Schwarzheide | Lausitz Zellfabrik GmbH | weight=1.5; size=2
dongguan_ruisheng | pack | CN | Dongguan | rui-sheng | weight=1.2
huizhou_jiasheng | pack | CN | Huizhou | jia-sheng | ind=1; weight=1.2
greentech_vn | pack | VN | Bac Ninh | Greentech Battery Vietnam Co., Ltd. | alias=Greentech Battery; size=2.5
haiphong_lotus | pack | VN | Haiphong | Haiphong Lotus Energy Co., Ltd. | size=2.5
greentech_mx | pack | MX | Monterrey | Greentech Battery Mexico, S.A. de C.V. | alias=Greentech Battery
baterias_norte | pack | MX | Saltillo | Baterias del Norte, S.A. de C.V.
wroclaw_battery | pack | PL | Wroclaw | Wroclaw Battery Systems Sp. z o.o. | size=2
lausitz_battery | pack | DE | Cottbus | Lausitz Batteriesysteme GmbH | size=2
debrecen_akku | pack | HU | Debrecen | Debrecen Akku Kft. | size=2
hanbit_energy | pack | KR | Gumi | Hanbit Energy Solutions Co., Ltd. | size=2.5
ganzhou_hengci | magnet | CN | Ganzhou | heng-ci | weight=2
ningbo_xinlei | magnet | CN | Ningbo | xin-lei | ind=1; weight=2
baotou_tianhe | magnet | CN | Baotou | tian-he
taiyuan_jinci | magnet | CN | Taiyuan | jin-ci | ind=1
kansai_magnetics | magnet | JP | Osaka | Kansai Magnetics Corporation | weight=0.6
hessen_magnet | magnet | DE | Hanau | Hessen Magnettechnik GmbH | weight=0.4
changzhou_dinghui | motor | CN | Changzhou | ding-hui
ningbo_yongli | motor | CN | Ningbo | yong-li | ind=1
bacninh_motor | motor | VN | Bac Ninh | Bac Ninh Motor Manufacturing Co., Ltd.
motores_bajio | motor | MX | Queretaro | Motores Electricos del Bajio, S.A. de C.V.
changwon_motor | motor | KR | Changwon | Changwon Precision Motor Co., Ltd.
silesia_motors | motor_eu | PL | Katowice | Silesia Motors Sp. z o.o.
rheinwerk_de | motor_eu | DE | Duisburg | Rheinwerk Antriebstechnik GmbH | alias=Rheinwerk
rheinwerk_at | motor_eu | AT | Linz | Rheinwerk Antriebstechnik GmbH | alias=Rheinwerk
schwarzwald_motor | motor_eu | DE | Freiburg | Schwarzwald Elektromotoren GmbH
lorraine_moteurs | motor_eu | FR | Metz | Moteurs Electriques de Lorraine SAS
emiliani_gen | motor_eu | IT | Reggio Emilia | Generatori Emiliani S.p.A. | products=850164,850152
ningbo_jinli | fastener | CN | Ningbo | jin-li | weight=2; size=1.6
jiaxing_haiyan | fastener | CN | Jiaxing | hai-yan | ind=1; weight=2; size=1.6
suzhou_kaiyuan | machine | CN | Suzhou | kai-yuan | weight=2; size=1.6
shenzhen_dingtai | machine | CN | Shenzhen | ding-tai | ind=1; weight=2; size=1.6
wenzhou_huatai | switch | CN | Wenzhou | hua-tai | weight=2; size=1.4
zhuzhou_dingli | furnace | CN | Zhuzhou | ding-li | weight=2
schwaben_maschinen | machine | DE | Stuttgart | Schwaben Maschinenbau GmbH | weight=2; size=2.5
thueringer_ofen | furnace | DE | Erfurt | Thueringer Ofenbau GmbH | weight=1.5; size=2
westfalen_schalt | switch | DE | Dortmund | Westfalen Schaltgeraete GmbH | weight=1.5; size=2
nagoya_precision | machine | JP | Nagoya | Nagoya Precision Machinery Co., Ltd. | weight=2; size=2.5
osaka_switchgear | switch | JP | Osaka | Osaka Switchgear Co., Ltd. | weight=1.5; size=2
greatlakes_equip | machine | US | Toledo | Great Lakes Process Equipment Inc. | weight=0.15; size=0.3
saigon_pacific | trader | VN | Ho Chi Minh City | Saigon Pacific Trading Co., Ltd. | origin=CN
penang_gateway | trader | MY | Penang | Penang Gateway Sdn. Bhd. | origin=CN; registered=no
laemchabang_supply | trader | TH | Chonburi | Laem Chabang Global Supply Co., Ltd. | origin=CN
fronteriza | trader | MX | Tijuana | Comercializadora Fronteriza del Norte, S.A. de C.V. | origin=CN
foshan_meijia | furniture | CN | Foshan | mei-jia
binhduong_furniture | furniture | VN | Thu Dau Mot | Binh Duong Fine Furniture Co., Ltd. | registered=no
dhaka_knit | apparel | BD | Gazipur | Dhaka Knit Apparels Ltd. | registered=no
ningbo_hongda | apparel | CN | Ningbo | hong-da
shantou_lele | toys | CN | Shantou | le-le
cafe_huila | coffee | CO | Neiva | Cafe de Huila S.A.S.
sul_de_minas | coffee | BR | Varginha | Cooperativa Cafe Sul de Minas Ltda
daklak_coffee | coffee | VN | Buon Ma Thuot | Dak Lak Coffee Export JSC
"""


def _cast(table: str = _CAST) -> list[_Company]:
    """Fresh companies from a cast table (fresh, because _Builder mutates them)."""
    companies: list[_Company] = []
    for key, role, cc, city, name, options in _table(table, 6):
        opts = dict((part.strip() + "=").split("=")[:2] for part in options.split(";") if part.strip())
        if cc == "CN":
            syllables = [s.capitalize() for s in name.split("-")]
            company = _cn(key, role, city, syllables, int(opts.get("ind", "0")))
        else:
            company = _Company(key=key, role=role, country=cc, name=name, city=city)
        if "products" in opts:
            company.products = tuple(opts["products"].split(","))
        if "exports" in opts:  # a cell maker that also ships finished packs
            company.products = _CELL
        company.weight = float(opts.get("weight", "1"))
        company.size = float(opts.get("size", "1"))
        company.origin = opts.get("origin")
        company.registered = opts.get("registered", "yes") == "yes"
        if "alias" in opts:
            company.aliases += (opts["alias"],)
        companies.append(company)
    return companies


# Invented names: places, words, industries and legal forms per country.
# fmt: off
_PLACES: dict[str, tuple[str, ...]] = {
    "VN": ("Saigon", "Hanoi", "Haiphong", "Bac Ninh", "Dong Nai", "Binh Duong", "Da Nang", "Long An"),
    "MX": ("Monterrey", "Saltillo", "Queretaro", "Tijuana", "Juarez", "Guadalajara", "Puebla", "Bajio"),
    "KR": ("Ulsan", "Gumi", "Cheongju", "Pohang", "Ochang", "Changwon", "Iksan", "Gwangju"),
    "JP": ("Osaka", "Nagoya", "Kobe", "Sendai", "Hamamatsu", "Kyoto", "Shiga", "Kyushu"),
    "DE": ("Rhein", "Main", "Saar", "Elbe", "Weser", "Ruhr", "Harz", "Allgaeu"),
    "AT": ("Linz", "Graz", "Steyr", "Wels"), "PL": ("Wroclaw", "Gdansk", "Poznan", "Katowice", "Lodz"),
    "HU": ("Debrecen", "Gyor", "Miskolc", "Szeged"),
    "FR": ("Lorraine", "Alsace", "Rhone", "Loire", "Picardie"),
    "IT": ("Emilia", "Veneto", "Piemonte", "Lombarda", "Toscana"),
    "TW": ("Hsinchu", "Taichung", "Tainan", "Taoyuan"), "MY": ("Penang", "Klang", "Johor", "Melaka"),
    "TH": ("Chonburi", "Rayong", "Ayutthaya", "Samut"),
    "BD": ("Dhaka", "Gazipur", "Narayanganj", "Chattogram"), "CO": ("Huila", "Antioquia", "Caldas", "Tolima"),
    "BR": ("Minas", "Mogiana", "Cerrado", "Sul"), "AU": ("Pilbara", "Kwinana", "Goldfields", "Mount"),
    "CL": ("Atacama", "Antofagasta", "Andino", "Pacifico"), "AR": ("Puna", "Salta", "Jujuy", "Catamarca"),
    "CD": ("Katanga", "Kolwezi", "Lualaba", "Likasi"), "ID": ("Sulawesi", "Morowali", "Halmahera", "Weda"),
    "MM": ("Kachin", "Shan", "Mandalay", "Sagaing"), "MZ": ("Balama", "Cabo", "Nacala", "Niassa"),
    "US": ("Great Lakes", "Mojave", "Sierra", "Gulf", "Atlantic", "Prairie"), "HK": ("Kowloon", "Victoria"),
    "CA": ("Ontario", "Quebec", "Alberta", "Fraser", "Maritime"),
}
_WORDS = (
    "Golden", "Pacific", "Green", "Delta", "Lotus", "Star", "Orient", "Bright", "Sun", "Blue Ocean",
    "Phoenix", "Alpha", "Prime", "Nova", "Vertex", "Apex", "Unity", "Harmony", "Crown", "Royal", "Eastern",
    "Silver", "Dragon", "Pioneer", "Meridian", "Global", "United", "Summit", "Eco", "Vista",
)
_EN_INDUSTRIES: dict[str, tuple[str, ...]] = {
    "li_chem": ("Lithium", "Lithium Chemicals"), "nickel": ("Nickel", "Nickel Chemical"),
    "cobalt": ("Cobalt", "Cobalt Refining"), "graphite": ("Graphite", "Graphite Mining"),
    "re_oxide": ("Rare Earths", "Rare Earth Minerals"),
    "precursor": ("Precursor Chemical", "Battery Chemicals"),
    "cathode_nmc": ("Cathode Materials", "Energy Materials"),
    "anode": ("Carbon Materials", "Anode Materials"), "separator": ("Separator Film", "Membrane"),
    "foil": ("Copper Foil", "Foil"), "bms": ("Power Semiconductor", "Microelectronics"),
    "cell": ("Battery Cell", "Lithium Cell"), "pack": ("Battery", "Energy Systems", "Power Pack"),
    "magnet": ("Magnetics", "Magnet Works"), "motor": ("Motor", "Drive Systems", "Electric Motors"),
    "motor_eu": ("Motor", "Drive Systems", "Electric Motors", "Generators"),
    "machine": ("Precision Machinery", "Process Equipment"), "switch": ("Switchgear", "Electrical"),
    "furnace": ("Furnace", "Thermal Systems"), "trader": ("Trading", "Global Supply", "Import Export"),
    "furniture": ("Fine Furniture", "Furniture"), "apparel": ("Knit Apparels", "Garments"),
    "coffee": ("Coffee Export", "Coffee"), "fastener": ("Fasteners", "Bolt"),
    "buyer": ("Trading", "Distribution", "Import"),
}
_DE_INDUSTRIES: dict[str, tuple[str, ...]] = {
    "cell": ("Zellfabrik", "Batteriezellen"), "pack": ("Batteriesysteme", "Akkutechnik"),
    "magnet": ("Magnettechnik", "Magnetwerk"), "motor_eu": ("Antriebstechnik", "Elektromotoren"),
    "machine": ("Maschinenbau", "Anlagenbau"), "furnace": ("Ofenbau", "Thermoprozesstechnik"),
    "switch": ("Schaltgeraete", "Elektrotechnik"),
}
_LEGAL: dict[str, tuple[str, ...]] = {
    "VN": ("Co., Ltd.", "JSC"), "MX": ("S.A. de C.V.",), "KR": ("Co., Ltd.",),
    "JP": ("Co., Ltd.", "Corporation"), "DE": ("GmbH",), "AT": ("GmbH",), "PL": ("Sp. z o.o.",),
    "HU": ("Kft.",), "FR": ("SAS",), "IT": ("S.p.A.",), "TW": ("Corp.", "Co., Ltd."), "MY": ("Sdn. Bhd.",),
    "TH": ("Co., Ltd.",), "BD": ("Ltd.",), "CO": ("S.A.S.",), "BR": ("Ltda",), "AU": ("Pty Ltd",),
    "CL": ("SpA",), "AR": ("S.A.",), "CD": ("SARL",), "ID": ("Co., Ltd.",), "MM": ("Co., Ltd.",),
    "MZ": ("Lda",), "US": ("Inc.", "LLC", "Corp."), "HK": ("Limited",), "CA": ("Inc.", "Ltd."),
}
_US_FIRST = (
    "Summit", "Blue", "Granite", "Prairie", "Harbor", "Cedar", "Falcon", "Liberty", "Pioneer", "Evergreen",
    "Lakeshore", "Redwood", "Ironwood", "Canyon", "Meridian", "Keystone", "Coastal", "Frontier", "Silver",
    "North", "Bright", "Eagle", "Clear", "Stone", "Oak", "Pine", "River", "Sierra", "Atlas", "Copper",
)
_US_SECOND = (
    "Ridge", "Creek", "Point", "Valley", "Bay", "Field", "Peak", "Lake", "Rock", "Star", "Line", "Gate",
    "Bridge", "Forge", "Works", "Path", "Crest", "Grove", "Run", "Mesa",
)
_US_TYPES = (
    "Power Systems", "Energy Storage", "Mobility", "Electric Vehicles", "Power Tools", "Electronics",
    "Outdoor Power", "Home Energy", "Marine Electric", "Robotics", "Climate Systems", "Wind Partners",
    "Medical Devices", "E-Bikes", "Solar",
)
_US_QUALIFIERS = ("", " International", " Group", " USA", " America", " Holdings", " Technologies",
                  " Solutions")
_US_CITIES = {  # city -> (state, first three ZIP digits)
    "Austin": ("TX", "787"), "Reno": ("NV", "895"), "Fremont": ("CA", "945"), "Irvine": ("CA", "926"),
    "Atlanta": ("GA", "303"), "Detroit": ("MI", "482"), "Columbus": ("OH", "432"), "Charlotte": ("NC", "282"),
    "Phoenix": ("AZ", "850"), "Seattle": ("WA", "981"), "Chicago": ("IL", "606"), "Nashville": ("TN", "372"),
    "Denver": ("CO", "802"), "Savannah": ("GA", "314"), "Newark": ("NJ", "071"), "Barstow": ("CA", "923"),
    "Toledo": ("OH", "436"),
}
_STREETS = (
    "Commerce", "Industrial", "Enterprise", "Innovation", "Harbor", "Park", "Technology", "Gateway",
    "Liberty",
)
_CN_ROADS = ("Keji", "Xingye", "Gongye", "Chuangxin", "Jinqiao", "Changjiang", "Huanghe", "Binhai", "Fazhan")
_CN_ZONES = ("High-tech Zone", "Economic Development Zone", "Industrial Park", "Hi-Tech Industrial Park")
_ASIA_STREETS = {
    "JP": ("Minato", "Chuo", "Sakae", "Honmachi"), "KR": ("Sandan", "Gongdan", "Jungang", "Haean"),
    "TW": ("Zhongshan", "Minsheng", "Guangfu", "Zhonghua"),
}
# fmt: on


def _address(company: _Company, rng: random.Random) -> str:
    """A plausible invented street address in the company's city."""
    n = rng.randint(1, 999)
    cc, city = company.country, company.city
    if cc == "CN":
        return f"No. {n} {rng.choice(_CN_ROADS)} Road, {rng.choice(_CN_ZONES)}, {city}, {company.province}"
    if cc == "US":
        kind = rng.choice(("Ave", "Blvd", "Street", "Road", "Parkway"))
        state, zip3 = _US_CITIES[city]
        return f"{n} {rng.choice(_STREETS)} {kind}, {city}, {state} {zip3}{rng.randint(1, 99):02d}"
    if cc in ("DE", "AT"):
        return f"{rng.choice(_STREETS)}strasse {n % 120 + 1}, {rng.randint(10000, 99999)} {city}"
    if cc == "VN":
        return f"Lot {chr(65 + n % 8)}{n % 40 + 1}, {city} Industrial Park, {city}"
    if cc == "MX":
        return f"Av. {rng.choice(_STREETS)} {n}, Parque Industrial {city}, {city}"
    if cc == "JP":
        return f"{n % 9 + 1}-{n % 30 + 1} {rng.choice(_ASIA_STREETS[cc])}-cho, {city}"
    if cc == "KR":
        return f"{n} {rng.choice(_ASIA_STREETS[cc])}-ro, {city}"
    if cc == "TW":
        return f"No. {n}, {rng.choice(_ASIA_STREETS[cc])} Rd., {city}"
    return f"{n} {rng.choice(_STREETS)} Road, {city}"


# --------------------------------------------------------------------------------------------
# Bill-of-lading spellings.

# fmt: off
_CO_LTD = (
    "CO., LTD.", "CO., LTD", "CO.,LTD", "CO LTD", "CO. LTD", "COMPANY LIMITED", "CO., LIMITED", "CO.,LIMITED",
    "LTD", "LTD.", "LIMITED",
)
# Legal forms as canonical names write them, and as bills spell them; longest suffix first.
_LEGAL_SPELLINGS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(sorted((
    ("Co., Ltd.", _CO_LTD), ("Co., Limited", _CO_LTD), ("Company Limited", _CO_LTD),
    ("Holdings Limited", ("HOLDINGS LIMITED", "HOLDINGS LTD", "HLDGS LTD", "HOLDINGS")),
    ("Limited", ("LIMITED", "LTD", "LTD.", "CO., LIMITED", "CO LTD")), ("Ltd.", ("LTD", "LTD.", "LIMITED")),
    ("S.A. de C.V.", ("S.A. DE C.V.", "SA DE CV", "S.A.DE C.V.", "S. A. DE C. V.")),
    ("GmbH", ("GMBH", "G.M.B.H.", "GMBH.")),
    ("Sp. z o.o.", ("SP. Z O.O.", "SP Z OO", "SP.Z O.O.", "SPOLKA Z O.O.")),
    ("Kft.", ("KFT.", "KFT")), ("SAS", ("SAS", "S.A.S.")), ("S.A.S.", ("S.A.S.", "SAS")),
    ("S.p.A.", ("S.P.A.", "SPA", "S.P.A")), ("SpA", ("SPA", "S.P.A.")),
    ("Sdn. Bhd.", ("SDN. BHD.", "SDN BHD", "SDN.BHD.")),
    ("JSC", ("JSC", "JOINT STOCK COMPANY", "J.S.C.")), ("Corporation", ("CORPORATION", "CORP.", "CORP")),
    ("Corp.", ("CORP.", "CORP", "CORPORATION")), ("Pty Ltd", ("PTY LTD", "PTY. LTD.", "PTY LIMITED")),
    ("S.A.", ("S.A.", "SA")), ("SARL", ("SARL", "S.A.R.L.")), ("Ltda", ("LTDA", "LTDA.")),
    ("Lda", ("LDA", "LDA.")),
    ("Inc.", ("INC", "INC.", "INCORPORATED")), ("LLC", ("LLC", "L.L.C.")),
), key=lambda item: -len(item[0])))
_ABBREVIATIONS = {
    "TECHNOLOGY": "TECH", "TECHNOLOGIES": "TECH", "INTERNATIONAL": "INTL", "ELECTRONIC": "ELEC",
    "ELECTRONICS": "ELECTR", "MANUFACTURING": "MFG", "INDUSTRIAL": "IND", "INDUSTRY": "IND",
    "MATERIALS": "MATL", "MATERIAL": "MATL", "MACHINERY": "MACH", "EQUIPMENT": "EQUIP", "SYSTEMS": "SYS",
    "MAGNETIC": "MAG", "SEMICONDUCTOR": "SEMI", "PRECISION": "PREC", "ENERGY": "ENGY", "COMPANY": "CO",
    "CORPORATION": "CORP", "AND": "&", "&": "AND",
}
# fmt: on


def _split_legal(name: str) -> tuple[str, tuple[str, ...]]:
    """(name without its legal form, bill spellings of that form); no form found -> (name, ())."""
    for suffix, spellings in _LEGAL_SPELLINGS:
        if name.endswith(suffix) and len(name) > len(suffix) + 2:
            return name[: -len(suffix)].rstrip(" ,"), spellings
    return name, ()


def _swap_legal(core: str, spellings: tuple[str, ...], rng: random.Random) -> str:
    if rng.random() < 0.15:
        return core
    return f"{core}{rng.choice((' ', ' ', ', '))}{rng.choice(spellings)}"


def _abbreviate(name: str, rng: random.Random) -> str:
    words = name.upper().split(" ")
    spots = [i for i, word in enumerate(words) if word.strip(",.") in _ABBREVIATIONS]
    if not spots:
        return name.upper()
    i = rng.choice(spots)
    word = words[i].strip(",.")
    words[i] = words[i].replace(word, _ABBREVIATIONS[word])
    return " ".join(words)


def _typo(name: str, rng: random.Random) -> str:
    """One letter swapped with the next, dropped or doubled; short names and first letters are spared."""
    for _ in range(6 if len(name) >= 10 else 0):
        i = rng.randrange(2, max(3, len(name) - 3))
        if name[i : i + 2].isascii() and name[i : i + 2].isalpha():
            kind = rng.random()
            if kind < 0.4:
                return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
            if kind < 0.75:
                return name[:i] + name[i + 1 :]
            return name[:i] + name[i] + name[i:]
    return name


def _punctuate(name: str, rng: random.Random) -> str:
    """Extra spaces, dropped commas or dots, stray trailing punctuation."""
    kind = rng.random()
    if kind < 0.3 and " " in name:
        i = rng.choice([i for i, ch in enumerate(name) if ch == " "])
        return name[:i] + "  " + name[i + 1 :]
    if kind < 0.5:
        return name.replace(",", "")
    if kind < 0.7:
        return name.replace(".", "")
    if kind < 0.85:
        return name + rng.choice((".", ",", " ."))
    return name.replace(", ", ",")


def _with_city(name: str, company: _Company, rng: random.Random) -> str:
    city = company.city.upper()
    kind = rng.random()
    if kind < 0.4:
        return f"{name} {city}"
    if kind < 0.7:
        return f"{name} ({city})"
    region = company.province.upper() or _COUNTRY_NAMES.get(company.country, (company.country,))[0]
    return f"{name}, {city}" if region == city else f"{name}, {city} {region}"


def _spellings(company: _Company, rng: random.Random, tries: int) -> list[str]:
    """The company's bill-of-lading spellings as a pool in which the common ones repeat.

    The canonical name in capitals dominates; each other spelling starts from the canonical name
    (or a pinyin or trade name) and takes a few random edits: legal form, abbreviation, case, city,
    typo, punctuation. The Chinese legal name, if any, is a rare spelling.
    """
    weights: dict[str, int] = {company.name.upper(): 12, company.name: 3}
    canonical = (company.name, *_split_legal(company.name))
    bases = [canonical] * 4 + [(alt, *_split_legal(alt)) for alt in company.alt_names]
    for attempt in range(tries):
        text, core, legal = rng.choice(bases)
        if legal and rng.random() < 0.55:
            text = _swap_legal(core, legal, rng)
        if rng.random() < 0.2:
            text = _abbreviate(text, rng)
        if rng.random() < 0.75:
            text = text.upper()
        if rng.random() < 0.12:
            text = _with_city(text, company, rng)
        if rng.random() < 0.15:
            text = _typo(text, rng)
        if rng.random() < 0.2:
            text = _punctuate(text, rng)
        text = text.strip()
        if text and text not in weights:
            weights[text] = max(1, 6 - attempt // 3)
    if company.zh:
        weights[company.zh] = 1
    pool: list[str] = []
    for text, weight in weights.items():
        pool.extend([text] * weight)
    return pool


# --------------------------------------------------------------------------------------------
# Countries, codes and ports as bills write them.

# fmt: off
_COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "CN": ("CHINA", "CHN", "P.R. CHINA"), "HK": ("HONG KONG", "HKG"), "VN": ("VIET NAM", "VNM", "VIETNAM"),
    "MX": ("MEXICO", "MEX"), "KR": ("KOREA, REPUBLIC OF", "KOR", "SOUTH KOREA"), "JP": ("JAPAN", "JPN"),
    "DE": ("GERMANY", "DEU"), "AT": ("AUSTRIA", "AUT"), "PL": ("POLAND", "POL"), "HU": ("HUNGARY", "HUN"),
    "FR": ("FRANCE", "FRA"), "IT": ("ITALY", "ITA"), "TW": ("TAIWAN", "TWN"), "MY": ("MALAYSIA", "MYS"),
    "TH": ("THAILAND", "THA"), "BD": ("BANGLADESH", "BGD"), "CO": ("COLOMBIA", "COL"),
    "BR": ("BRAZIL", "BRA"), "AU": ("AUSTRALIA", "AUS"), "CL": ("CHILE", "CHL"), "AR": ("ARGENTINA", "ARG"),
    "CD": ("COD",), "ID": ("INDONESIA", "IDN"), "MM": ("MYANMAR", "MMR", "BURMA"),
    "MZ": ("MOZAMBIQUE", "MOZ"), "US": ("UNITED STATES", "USA", "U.S.A."), "CA": ("CANADA", "CAN"),
}
_PORTS: dict[str, tuple[str, ...]] = {
    "CN": ("SHANGHAI", "NINGBO", "YANTIAN", "SHEKOU", "XIAMEN", "QINGDAO", "TIANJIN XINGANG"),
    "HK": ("HONG KONG",), "VN": ("HAIPHONG", "CAT LAI", "CAI MEP"),
    "MX": ("MANZANILLO", "LAZARO CARDENAS", "NUEVO LAREDO"), "KR": ("BUSAN", "INCHEON"),
    "JP": ("TOKYO", "NAGOYA", "KOBE", "YOKOHAMA"), "DE": ("HAMBURG", "BREMERHAVEN"),
    "AT": ("KOPER", "HAMBURG"), "PL": ("GDANSK", "GDYNIA"), "HU": ("KOPER", "HAMBURG"),
    "FR": ("LE HAVRE", "MARSEILLE"), "IT": ("GENOA", "LA SPEZIA"), "TW": ("KAOHSIUNG", "KEELUNG"),
    "MY": ("PENANG", "PORT KLANG"), "TH": ("LAEM CHABANG", "BANGKOK"), "BD": ("CHITTAGONG",),
    "CO": ("CARTAGENA", "BUENAVENTURA"), "BR": ("SANTOS",), "AU": ("FREMANTLE", "PORT HEDLAND"),
    "CL": ("ANTOFAGASTA", "MEJILLONES"), "AR": ("BUENOS AIRES",), "CD": ("DAR ES SALAAM", "DURBAN"),
    "ID": ("JAKARTA", "MOROWALI"), "MM": ("YANGON",), "MZ": ("NACALA", "PEMBA"),
    "US": ("LOS ANGELES", "LONG BEACH", "SAVANNAH", "NEWARK", "HOUSTON", "SEATTLE"),
    "CA": ("MONTREAL", "VANCOUVER", "HALIFAX"),
}
# fmt: on


def _country_pool(cc: str) -> list[str]:
    """How bills write a country: mostly ISO2, sometimes alpha-3 or an English name."""
    return [cc] * 14 + list(_COUNTRY_NAMES.get(cc, ())) * 2


def _hs_pool(hs6: str) -> list[str]:
    """How bills write an HS code: 6 to 10 digits, with or without dots and spaces."""
    pool: list[str] = [hs6] * 6 + [f"{hs6[:4]}.{hs6[4:]}"] * 2
    for line in _GOODS[hs6].lines:
        ten = hs6 + line
        pool += [ten] * 3 + [f"{ten[:4]}.{ten[4:6]}.{ten[6:]}"] * 2
        pool += [ten[:8], f"{ten[:4]} {ten[4:6]} {ten[6:8]} {ten[8:]}"]
    return pool


# --------------------------------------------------------------------------------------------
# Who trades with whom.


@dataclass(frozen=True, slots=True)
class _Flow:
    """Buyers of role `buyer` each take `per_buyer` suppliers of role `supplier`, drawn by weight."""

    supplier: str
    buyer: str
    per_buyer: tuple[int, int]
    shipments: tuple[int, int]  # per edge and cluster, before _DENSITY
    hs: tuple[str, ...] | None = None  # only these of the supplier's products
    share: float = 1.0  # fraction of the buyers that use this flow at all
    from_countries: tuple[str, ...] | None = None
    value: float = 1.0  # multiplies the good's typical shipment value


# fmt: off
_FLOWS: tuple[_Flow, ...] = (
    # raw materials into refiners and cathode/anode makers
    _Flow("li_chem", "cathode_nmc", (1, 2), (2, 5)),
    _Flow("li_chem", "cathode_lfp", (1, 2), (2, 5), hs=("283691",)),
    _Flow("li_chem", "electrolyte", (1, 1), (2, 4), hs=("283691",)),
    _Flow("nickel", "precursor", (1, 2), (3, 6)),
    _Flow("cobalt", "precursor", (1, 1), (2, 5)),
    _Flow("cobalt", "magnet", (1, 1), (1, 3), hs=("810520",), share=0.3),
    _Flow("graphite", "anode", (1, 2), (3, 6)),
    _Flow("re_oxide", "re_metal", (1, 2), (3, 6)),
    _Flow("re_oxide", "magnet_alloy", (1, 1), (2, 4), share=0.5),
    _Flow("re_metal", "magnet_alloy", (1, 2), (3, 6)),
    _Flow("re_metal", "magnet", (1, 1), (2, 4), share=0.5),
    _Flow("magnet_alloy", "magnet", (1, 2), (3, 6)),
    _Flow("precursor", "cathode_nmc", (1, 2), (3, 6)),
    # direct inputs into cell makers
    _Flow("cathode_nmc", "cell", (1, 2), (3, 6)),
    _Flow("cathode_lfp", "cell", (1, 2), (3, 6)),
    _Flow("anode", "cell", (1, 2), (3, 6)),
    _Flow("electrolyte", "cell", (1, 1), (2, 5)),
    _Flow("separator", "cell", (1, 2), (2, 5)),
    _Flow("foil", "cell", (1, 2), (2, 5)),
    # capital goods into cell and magnet makers (about as much value as the batteries), a little elsewhere
    _Flow("fastener", "cell", (1, 2), (4, 8), value=8.0),
    _Flow("machine", "cell", (2, 3), (3, 7), value=5.0),
    _Flow("switch", "cell", (1, 2), (3, 6), value=3.0),
    _Flow("furnace", "cell", (1, 1), (1, 3), share=0.6),
    _Flow("fastener", "magnet", (1, 1), (2, 4)),
    _Flow("machine", "magnet", (1, 2), (2, 4)),
    _Flow("furnace", "magnet", (1, 1), (1, 3)),
    _Flow("fastener", "pack", (1, 1), (1, 3), share=0.5, value=2.0),
    _Flow("switch", "pack", (1, 1), (1, 3), share=0.5),
    _Flow("fastener", "motor", (1, 1), (1, 3), share=0.4),
    # cells, electronics and magnets into pack and motor makers
    _Flow("cell", "pack", (1, 3), (3, 7), hs=("850790",)),
    _Flow("bms", "pack", (1, 1), (2, 4)),
    _Flow("magnet", "motor", (1, 2), (3, 6)),
    _Flow("magnet", "motor_eu", (1, 2), (4, 8)),
    # Chinese goods into the traders that re-ship them
    _Flow("pack", "trader", (1, 2), (3, 6), from_countries=("CN",)),
    _Flow("cell", "trader", (1, 1), (2, 5), hs=("850790", "850760"), from_countries=("CN",)),
    _Flow("magnet", "trader", (1, 1), (2, 5), from_countries=("CN",), share=0.6),
    # US-bound
    _Flow("cell", "importer", (1, 2), (2, 6), hs=("850760",), share=0.75),
    _Flow("pack", "importer", (1, 2), (2, 6), share=0.75),
    _Flow("trader", "importer", (1, 1), (2, 5), share=0.3),
    _Flow("motor", "importer", (1, 2), (2, 6), share=0.4),
    _Flow("motor_eu", "importer", (1, 2), (3, 8), share=0.4),
    _Flow("magnet", "importer", (1, 1), (1, 4), share=0.12),
    _Flow("machine", "importer", (1, 1), (1, 3), share=0.1),
    _Flow("mugs", "importer", (1, 1), (1, 3), share=0.2),
    _Flow("lamps", "importer", (1, 1), (1, 3), share=0.15),
    # unrelated goods, downstream and upstream
    _Flow("furniture", "importer", (1, 1), (1, 4), share=0.5),
    _Flow("apparel", "importer", (1, 1), (1, 4), share=0.4),
    _Flow("toys", "importer", (1, 1), (1, 4), share=0.25),
    _Flow("coffee", "importer", (1, 1), (1, 3), share=0.2),
    _Flow("coffee", "cell", (1, 1), (1, 3), share=0.3),
    _Flow("furniture", "cell", (1, 1), (1, 3), share=0.3),
    _Flow("apparel", "cell", (1, 1), (1, 3), share=0.3),
    _Flow("furniture", "magnet", (1, 1), (1, 2), share=0.3),
    _Flow("magnesium", "motor", (1, 1), (1, 3), share=0.5),
    _Flow("magnesium", "motor_eu", (1, 1), (1, 3), share=0.3),
)

# The focal importer's suppliers and what they ship it: (supplier, HS, shipments over the window).
_FOCAL_EDGES: tuple[tuple[str, str, int], ...] = (
    ("catl", "850760", 9), ("catl", "850790", 3), ("findreams", "850760", 4), ("eve_power", "850760", 4),
    ("gotion", "850760", 3), ("hithium", "850760", 4), ("aesc", "850760", 3), ("ecoflow_hk", "850760", 5),
    ("aside", "850760", 3), ("kelu", "850760", 2), ("anker", "850760", 4), ("greentech_vn", "850760", 5),
    ("greentech_mx", "850760", 4), ("hanbit_energy", "850760", 3), ("wroclaw_battery", "850760", 3),
    ("debrecen_akku", "850760", 2), ("lausitz_battery", "850760", 2), ("saigon_pacific", "850760", 4),
    ("penang_gateway", "850760", 3), ("penang_gateway", "850511", 2), ("laemchabang_supply", "850790", 3),
    ("fronteriza", "850511", 3), ("changzhou_dinghui", "850132", 4), ("bacninh_motor", "850133", 3),
    ("motores_bajio", "850152", 3), ("rheinwerk_de", "850152", 4), ("schwarzwald_motor", "850152", 3),
    ("lorraine_moteurs", "850133", 3), ("emiliani_gen", "850164", 2), ("ganzhou_hengci", "850511", 4),
    ("kansai_magnetics", "850511", 3), ("schwaben_maschinen", "847989", 2), ("nagoya_precision", "848790", 2),
    ("ningbo_jinli", "731815", 3), ("wenzhou_huatai", "853650", 3), ("hsinchu_semi", "854231", 3),
    ("binhduong_furniture", "940360", 2), ("dhaka_knit", "610910", 2), ("cafe_huila", "090111", 2),
    ("decoy_ningde", "691200", 2),
)
# Edges the flows would not draw but the story needs: (shipper, consignee, HS, shipments).
_STORY_EDGES: tuple[tuple[str, str, str, int], ...] = (
    ("ecoflow", "ecoflow_hk", "850760", 10),  # the Shenzhen maker exports through Hong Kong
    ("findreams", "byd", "850790", 6),  # BYD's battery arm supplies BYD
    ("catl", "rheinwerk_de", "850790", 2),
    ("greatlakes_equip", "catl", "847989", 2),
    # Chinese magnets into European motors and generators
    ("ganzhou_hengci", "rheinwerk_de", "850511", 6), ("ningbo_xinlei", "rheinwerk_at", "850511", 5),
    ("ganzhou_hengci", "lorraine_moteurs", "850511", 5), ("baotou_tianhe", "emiliani_gen", "850511", 5),
    ("ningbo_xinlei", "schwarzwald_motor", "850511", 5),
    # what the focal importer's traders re-ship, they first receive from China
    ("dongguan_ruisheng", "saigon_pacific", "850760", 6), ("aside", "penang_gateway", "850760", 4),
    ("ningbo_xinlei", "penang_gateway", "850511", 3), ("yichun_jiayuan", "laemchabang_supply", "850790", 4),
    ("catl", "laemchabang_supply", "850790", 2), ("ganzhou_hengci", "fronteriza", "850511", 5),
)
# fmt: on

# US manufacturers of goods that carry magnets, with their suppliers and foreign buyers: the exports behind
# the seed report's "Industries Reliant on Permanent Magnets" (autos ahead of electronics, energy and
# medical). Their magnets arrive inside European and Asian motors and generators, from a German finisher
# that grinds and coats Chinese magnet blocks and ships in small lots (the EU's many magnet export
# shipments of low value), or directly. Some exports have no permanent magnets of metal upstream: cars
# whose induction motors come from a US maker that buys no magnets, loudspeakers with ferrite magnets,
# stamped parts. Options as in _CAST; every cluster that scale adds has invented counterparts.
_EXPORT_CAST = """
# key | role | cc | city | name, or pinyin brand if CN | options
huron_vehicle | manufacturer | US | Detroit | Huron Vehicle Works, Inc. | products=870380
tidewater_auto | manufacturer | US | Savannah | Tidewater Auto Assembly Corp. | products=870380
maumee_driveline | manufacturer | US | Toledo | Maumee Driveline Inc. | products=870850
sandusky_stamping | manufacturer | US | Columbus | Sandusky Stamping Corp. | products=870899; registered=no
laramie_wind | manufacturer | US | Denver | Laramie Wind Turbines Inc. | products=850231
cumberland_audio | manufacturer | US | Nashville | Cumberland Loudspeaker Inc. | products=851822; size=2.5
piedmont_acoustics | manufacturer | US | Charlotte | Piedmont Acoustics LLC | products=851822; size=2
cascade_imaging | manufacturer | US | Seattle | Cascade Imaging Systems Inc. | products=901813
wabash_servo | manufacturer | US | Chicago | Wabash Servo Motor Corp. | products=850152
chattahoochee_motor | manufacturer | US | Atlanta | Chattahoochee Induction Motors Inc. | products=850152
oberpfalz_magnet | magnet | DE | Amberg | Oberpfalz Magnetwerk GmbH
jiangmen_yongfeng | magnet | CN | Jiangmen | yong-feng | ind=1; products=850519
laurentian_trade | buyer | CA | Montreal | Laurentian Trade Distributors Inc.
golfo_ensambladora | buyer | MX | Puebla | Ensambladora Automotriz del Golfo, S.A. de C.V.
hanse_fahrzeug | buyer | DE | Bremen | Hanse Fahrzeugimport GmbH
alberta_wind | buyer | CA | Calgary | Alberta Wind Energy Ltd.
ventos_nordeste | buyer | BR | Fortaleza | Ventos do Nordeste Energia Ltda
pacifico_audio | buyer | MX | Guadalajara | Distribuidora de Audio del Pacifico, S.A. de C.V.
yokohama_iryo | buyer | JP | Yokohama | Yokohama Iryo Kiki Co., Ltd.
isar_klinik | buyer | DE | Munich | Isar Klinikbedarf GmbH | registered=no
bodensee_robotik | buyer | DE | Friedrichshafen | Bodensee Robotik GmbH
"""
# What the invented counterparts of the US manufacturers call themselves, by their product.
_MAKER_INDUSTRIES: dict[str, tuple[str, ...]] = {
    "870380": ("Motor Cars", "Vehicle Works", "Automotive"),
    "870850": ("Driveline", "Axle"),
    "870899": ("Stamping", "Auto Parts"),
    "850231": ("Wind Turbines", "Wind Power"),
    "851822": ("Loudspeaker", "Audio", "Acoustics"),
    "901813": ("Imaging Systems", "Medical Imaging"),
    "850152": ("Servo Motor", "Motor Works", "Drives"),
}
# Their trade: shipments over the window; `value` multiplies the good's typical shipment value.
_EXPORT_EDGES = """
# shipper | consignee | hs6 | shipments | value
# Chinese magnet blocks and alloy into the German finishers, and their equipment
ganzhou_hengci | oberpfalz_magnet | 850511 | 10
ningbo_xinlei | oberpfalz_magnet | 850511 | 8
baotou_tianhe | hessen_magnet | 850511 | 6
ningbo_tianyuan | hessen_magnet | 720299 | 5
schwaben_maschinen | oberpfalz_magnet | 847982 | 2 | 0.4
thueringer_ofen | oberpfalz_magnet | 851419 | 1 | 0.4
# finished magnets in small lots to US makers
oberpfalz_magnet | cumberland_audio | 850511 | 200 | 0.06
oberpfalz_magnet | wabash_servo | 850511 | 80 | 0.08
oberpfalz_magnet | maumee_driveline | 850511 | 40 | 0.1
oberpfalz_magnet | cascade_imaging | 850511 | 40 | 0.15
hessen_magnet | cascade_imaging | 850511 | 30 | 0.25
hessen_magnet | cumberland_audio | 850511 | 60 | 0.06
# magnets straight from China and Japan, ferrite magnets from China
ningbo_xinlei | cumberland_audio | 850511 | 6
ganzhou_hengci | cumberland_audio | 850511 | 6
ningbo_xinlei | wabash_servo | 850511 | 8
ganzhou_hengci | maumee_driveline | 850511 | 5
baotou_tianhe | laramie_wind | 850511 | 3
kansai_magnetics | cascade_imaging | 850511 | 4
jiangmen_yongfeng | piedmont_acoustics | 850519 | 12
# motors and generators from European and Asian makers that buy Chinese magnets
rheinwerk_de | huron_vehicle | 850152 | 10
schwarzwald_motor | huron_vehicle | 850152 | 8
changwon_motor | huron_vehicle | 850132 | 8
changzhou_dinghui | huron_vehicle | 850132 | 6
rheinwerk_at | maumee_driveline | 850152 | 8
lorraine_moteurs | maumee_driveline | 850133 | 6
emiliani_gen | laramie_wind | 850164 | 10
envision | laramie_wind | 850300 | 4
# batteries; US makers supplying each other
chungcheong_cell | huron_vehicle | 850760 | 6
catl | tidewater_auto | 850760 | 4
maumee_driveline | huron_vehicle | 870850 | 12
wabash_servo | maumee_driveline | 850152 | 6
chattahoochee_motor | tidewater_auto | 850152 | 12
# no magnets: fasteners into the induction-motor maker and the stamping plant
ningbo_jinli | chattahoochee_motor | 731815 | 5
ningbo_jinli | sandusky_stamping | 731815 | 3
jiaxing_haiyan | sandusky_stamping | 731816 | 4
# exports
huron_vehicle | laurentian_trade | 870380 | 30
huron_vehicle | hanse_fahrzeug | 870380 | 20
huron_vehicle | golfo_ensambladora | 870380 | 12
tidewater_auto | laurentian_trade | 870380 | 12
tidewater_auto | golfo_ensambladora | 870380 | 8
maumee_driveline | golfo_ensambladora | 870850 | 24
maumee_driveline | laurentian_trade | 870850 | 6
sandusky_stamping | golfo_ensambladora | 870899 | 16
cumberland_audio | pacifico_audio | 851822 | 45
cumberland_audio | laurentian_trade | 851822 | 35
piedmont_acoustics | pacifico_audio | 851822 | 28
piedmont_acoustics | laurentian_trade | 851822 | 17
laramie_wind | alberta_wind | 850231 | 20
laramie_wind | ventos_nordeste | 850231 | 16
cascade_imaging | yokohama_iryo | 901813 | 16
cascade_imaging | isar_klinik | 901813 | 14
wabash_servo | bodensee_robotik | 850152 | 18
chattahoochee_motor | golfo_ensambladora | 850152 | 6
"""

# The focal importer's supplier list as its purchasing department wrote it. `expect` is what a
# screening should make of the row; `means` the company (or, if ambiguous, companies) meant.
_SUPPLIER_LIST = """
# supplier_name|country|address|hs_code|part_description|expect|means|annual value
CATL - Contemporary Amperex Technology|China|Ningde, Fujian|8507.60.0020|48V LFP battery pack|matched|catl
Contemporary Amperex Tech Co Ltd|CN||850790|LFP prismatic cells 280Ah|matched|catl
FinDreams Battery (BYD)|CN|Shenzhen|850760|Blade battery module|matched|findreams
Hubei Yiwei Power Co|China|Jingmen, Hubei||Battery packs, various|matched|eve_power
GOTION HIGH TECH CO LTD|CN|Hefei|8507600010|EV battery pack|matched|gotion
Hithium Energy Storage Tech.|CHN||850760|ESS battery cabinet|matched|hithium
Envision AESC|China||850760|Battery module|matched|aesc
EcoFlow Hong Kong Ltd|Hong Kong|Kowloon|8507.60|Portable power station|matched|ecoflow_hk
Jiangsu Aside Energy Co.|CN|||Battery packs|matched|aside|none
Shenzhen Kelu Electronics Co Ltd|CN|Shenzhen|850760|Li-ion battery pack 12V|matched|kelu
Anker Innovations Ltd|China|Changsha|8507600020|Power bank|matched|anker
GREENTECH BATTERY|||850760|Battery pack 48V|ambiguous|greentech_vn greentech_mx
Greentech Battery de Mexico|MX|Monterrey, N.L.||Battery pack 48V|matched|greentech_mx
Hanbit Energy Solutions|Korea, Republic of|Gumi|850760|Battery pack|matched|hanbit_energy
Wroclaw Battery Systems sp z o o|Poland||850760|Battery pack|matched|wroclaw_battery
Debrecen Akku Kft|HU|Debrecen||Battery pack|matched|debrecen_akku|none
Lausitz Batteriesysteme|Germany|Cottbus|8507.60.00|Battery pack|matched|lausitz_battery
Saigon Pacific Trading Company|Vietnam|Ho Chi Minh City|850760|Battery pack (trading)|matched|saigon_pacific
Penang Gateway Sdn Bhd|Malaysia|||Batteries and magnets (trading)|matched|penang_gateway
Laem Chabang Global Supply|TH||850790|Battery cells (trading)|matched|laemchabang_supply
Comercializadora Fronteriza del Norte|MEX|Tijuana|8505.11.0070|NdFeB magnets|matched|fronteriza
Changzhou Dinghui Motors|CN|Changzhou|850132|Traction motor 15kW|matched|changzhou_dinghui
Bac Ninh Motor Mfg Co|VN||8501.33|BLDC motor|matched|bacninh_motor
Motores Electricos del Bajio|Mexico|Queretaro|850152|AC motor|matched|motores_bajio
RHEINWERK ANTRIEBSTECHNIK|||850152|Drive motor|ambiguous|rheinwerk_de rheinwerk_at
Schwarzwald Elektromotoren|DE|Freiburg|8501.52|PMSM motor|matched|schwarzwald_motor
Moteurs Electriques de Lorraine|France|Metz|850133|Pump motor|matched|lorraine_moteurs
Generatori Emiliani SpA|IT||8501.64.0020|PM generator|matched|emiliani_gen
Ganzhou Hengci Magnetic Material Co Ltd|CN|Ganzhou|8505.11.0070|N52 magnet block|matched|ganzhou_hengci
Kansai Magnetics Corp|Japan|Osaka|850511|SmCo magnet|matched|kansai_magnetics
Schwaben Maschinenbau|DE|Stuttgart|847989|Cell stacking machine|matched|schwaben_maschinen
Nagoya Precision Machinery|JP|||Spare parts|matched|nagoya_precision|none
Ningbo Jinli Fasteners|CN|Ningbo|731815|M8 hex bolt|matched|ningbo_jinli
Wenzhou Huatai Electrical Co|CN||853650|DC contactor|matched|wenzhou_huatai
Hsinchu Power Semiconductor Corporation|Taiwan|Hsinchu|854231|BMS controller IC|matched|hsinchu_semi
Binh Duong Fine Furniture|VN||940360|Office furniture|matched|binhduong_furniture
Dhaka Knit Apparels Limited|Bangladesh|Gazipur|610910|Staff T-shirts|matched|dhaka_knit
Cafe de Huila SAS|Colombia|Neiva|090111|Green coffee, break room|matched|cafe_huila
Ningde Times Trading Co Ltd|Hong Kong|Wan Chai|691200|Promotional coffee mugs|matched|decoy_ningde
Lone Star Cable Assemblies LLC|US|San Antonio, TX|854442|Cable harness|unmatched|
Baltic Amber Electronics UAB|Lithuania|Kaunas|853400|Printed circuit boards|unmatched|
Andes Copper Wire S.A.|Peru|Lima|854411|Copper winding wire|unmatched|
|CN||850760|Battery pack (vendor record incomplete)|error|
Xiamen Hithium Energy Storage|CN|Xiamen|85O760|Battery cabinet|error|hithium
"""
# fmt: off
_PART_PREFIX = {
    "8507": "BAT", "8501": "MTR", "8505": "MAG", "8479": "EQP", "8487": "EQP", "7318": "FST", "8536": "SWT",
    "8542": "IC", "9403": "FUR", "6109": "APP", "0901": "COF", "6912": "MUG", "8544": "CBL", "8534": "PCB",
}
# fmt: on


# --------------------------------------------------------------------------------------------
# Building the network.


@dataclass(frozen=True, slots=True)
class _Edge:
    """A trade relation: this many shipments of one HS code, lognormal values, within active days."""

    shipper: _Company
    consignee: _Company
    hs6: str
    shipments: int  # over the window
    mu: float  # log of the median shipment value
    sigma: float
    lo: int  # active days, as offsets from the start of the window
    hi: int


@dataclass(slots=True)
class _Cluster:
    """The companies one unit of scale adds, and the edges into them (cluster 0 is the demo)."""

    index: int
    companies: list[_Company]
    edges: list[_Edge]


class _Builder:
    """Draws companies and trade edges cluster by cluster; every draw comes from the seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.next_id = 1
        self.used_names: set[tuple[str, str]] = set()
        self.core: list[_Company] = []
        self.shared: list[_Company] = []
        self.exporters: list[_Company] = []  # cluster 0's _EXPORT_CAST, templates for further clusters

    def rng(self, *parts: object) -> random.Random:
        """An independent stream for one purpose, so adding a cluster never shifts another's draws."""
        return random.Random(":".join(["tiersight-synth", str(self.seed), *map(str, parts)]))

    def core_cluster(self) -> _Cluster:
        """The demo network: named companies, the invented cast, the importer's suppliers, drawn flows."""
        rng = self.rng("cluster", 0)
        companies = _real_companies() + _cast()
        self.used_names.update((c.name, c.country) for c in companies)
        names = random.Random("core-importers")  # the demo's cast does not change with the seed
        companies += [self._importer(names, f"us_importer_{i}") for i in range(39)]
        # the importer's suppliers are registered or not by design (cast option), not by chance
        self._register(companies, 0, rng, pinned={key for key, _, _ in _FOCAL_EDGES} | {"rheinwerk_at"})
        self.core = companies
        self.shared = [c for c in companies if c.shared]
        by_key = {c.key: c for c in companies}
        edges: dict[tuple[str, str, str], _Edge] = {}
        focal = by_key["summit_ridge"]
        for key, hs6, n in _FOCAL_EDGES:
            self._add_edge(edges, rng, by_key[key], focal, hs6, n, full_window=True)
        for shipper, consignee, hs6, n in _STORY_EDGES:
            self._add_edge(edges, rng, by_key[shipper], by_key[consignee], hs6, n, full_window=True)
        self._draw_flows(edges, rng, companies, companies)
        # after every draw from the cluster's stream, so that adding them shifted none of those draws
        exporters, export_edges = self._exporters(0, by_key)
        return _Cluster(0, companies + exporters, [*edges.values(), *export_edges])

    def _exporters(self, index: int, by_key: dict[str, _Company]) -> tuple[list[_Company], list[_Edge]]:
        """US manufacturers with their suppliers and buyers (_EXPORT_CAST) and their trade (_EXPORT_EDGES).

        Drawn on a stream of their own after the rest of the cluster, so that they shift none of its
        draws. Cluster 0 takes the cast as written; a further cluster invents a company for each cast
        member and trades with its own counterparts (`key@index`) of cluster 0's companies.
        """
        rng = self.rng("exports", index)
        if index == 0:
            companies = _cast(_EXPORT_CAST)
            for company in companies:
                if company.country == "US":
                    company.province = _US_CITIES[company.city][0]
            self.used_names.update((c.name, c.country) for c in companies)
            self._register(companies, 0, rng, pinned={c.key for c in companies})
            self.exporters = companies
        else:
            cores = {_split_legal(name)[0].casefold() for name, _ in self.used_names}
            companies = []
            for template in self.exporters:
                words = _MAKER_INDUSTRIES[template.products[0]] if template.role == "manufacturer" else ()
                for _ in range(20):  # not a legal-form variant of a name in use either
                    company = self._invent(rng, template, index, words)
                    core = _split_legal(company.name)[0].casefold()
                    if core not in cores:
                        break
                cores.add(core)
                company.products = template.products
                companies.append(company)
            self._register(companies, index, rng)
        suffix = f"@{index}" if index else ""
        known = {**by_key, **{c.key: c for c in companies}}
        edges: dict[tuple[str, str, str], _Edge] = {}
        for shipper, consignee, hs6, n, value in _table(_EXPORT_EDGES, 5):
            self._add_edge(
                edges,
                rng,
                known[shipper + suffix],
                known[consignee + suffix],
                hs6,
                int(n),
                value=float(value or 1),
            )
        return companies, list(edges.values())

    def extra_cluster(self, index: int) -> _Cluster:
        """Invented companies in cluster 0's roles and countries; the shared suppliers trade with them too."""
        rng = self.rng("cluster", index)
        companies: list[_Company] = []
        for template in self.core:
            if template.unique or template.weight == 0:
                continue
            if template.role == "importer":
                companies.append(self._importer(rng, f"{template.key}@{index}"))
            else:
                companies.append(self._invent(rng, template, index))
        self._register(companies, index, rng)
        edges: dict[tuple[str, str, str], _Edge] = {}
        buyers = companies + [c for c in self.shared if rng.random() < 0.5]
        self._draw_flows(edges, rng, buyers, companies + self.shared)
        exporters, export_edges = self._exporters(index, {c.key: c for c in companies})
        return _Cluster(index, companies + exporters, [*edges.values(), *export_edges])

    def _register(
        self,
        companies: list[_Company],
        cluster: int,
        rng: random.Random,
        pinned: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        """Ids, addresses, registry membership (about 80 %), LEIs and spellings, in list order.

        Named, unique and `pinned` companies keep the registry membership they were given.
        """
        for company in companies:
            company.company_id = f"C{self.next_id:06d}"
            self.next_id += 1
            company.cluster = cluster
            if not company.products:
                company.products = _PRODUCTS[company.role]
            if not company.address:
                company.address = _address(company, random.Random(f"address:{company.key}"))
            if company.registered and not (company.real or company.unique or company.key in pinned):
                company.registered = rng.random() < 0.78
            if company.registered and not company.real and rng.random() < 0.35:
                company.lei = _lei(rng)
            company.spellings = _spellings(company, rng, 36 if company.real else 12)

    def _importer(self, rng: random.Random, key: str) -> _Company:
        """An invented US importer with a name not used before."""
        core = name = ""
        for attempt in range(50):
            qualifier = rng.choice(_US_QUALIFIERS) if attempt > 3 else ""
            core = f"{rng.choice(_US_FIRST)} {rng.choice(_US_SECOND)} {rng.choice(_US_TYPES)}{qualifier}"
            name = core + rng.choice((", Inc.", " Inc.", " LLC", " Corp.", " Corporation"))
            if (name, "US") not in self.used_names:
                break
        else:
            name = f"{core} {self.next_id} Inc."
        self.used_names.add((name, "US"))
        city = rng.choice(sorted(_US_CITIES))
        return _Company(
            key=key, role="importer", country="US", name=name, city=city, province=_US_CITIES[city][0]
        )

    def _invent(
        self, rng: random.Random, template: _Company, index: int, words: tuple[str, ...] = ()
    ) -> _Company:
        """An invented company in the template's role and country, with a name not used before.

        `words`: what it does (outside China), instead of its role's industry words.
        """
        key = f"{template.key}@{index}"
        cc, role = template.country, template.role
        if cc == "CN" and role in _CN_INDUSTRIES:
            cities, syllables = sorted(_CN_CITIES), sorted(_CN_SYLLABLES)
            industries = _CN_INDUSTRIES[role]
            for _ in range(30):
                brand = (rng.choice(syllables), rng.choice(syllables))
                company = _cn(key, role, rng.choice(cities), brand, rng.randrange(len(industries)))
                if (company.name, cc) not in self.used_names:
                    break
            else:
                company.name = company.name.replace(" Co., Ltd.", f" No. {self.next_id} Co., Ltd.")
        else:
            places = _PLACES.get(cc, ("Central",))
            german = _DE_INDUSTRIES.get(role) if cc in ("DE", "AT") else None
            industries_en = words or german or _EN_INDUSTRIES.get(role, (role.replace("_", " ").title(),))
            legal = _LEGAL.get(cc, ("Ltd.",))
            core = name = ""
            for attempt in range(40):
                place, industry = rng.choice(places), rng.choice(industries_en)
                if german:
                    core = f"{place}-{industry}" if rng.random() < 0.3 else f"{place}{industry.lower()}"
                else:
                    qualifier = rng.choice(("", " International", " Global", " Group")) if attempt > 5 else ""
                    core = f"{place} {rng.choice(_WORDS)} {industry}{qualifier}"
                form = rng.choice(legal)
                name = f"{core}, {form}" if form == "S.A. de C.V." else f"{core} {form}"
                if (name, cc) not in self.used_names:
                    break
            else:
                name = f"{core} {self.next_id} {legal[0]}"
            company = _Company(key=key, role=role, country=cc, name=name, city=rng.choice(places))
            if cc == "US":
                company.city = rng.choice(sorted(_US_CITIES))
                company.province = _US_CITIES[company.city][0]
            if role in ("cell", "motor_eu"):
                company.products = template.products
        company.origin = template.origin
        if not template.real:
            company.weight, company.size = template.weight, template.size
        self.used_names.add((company.name, cc))
        return company

    def _draw_flows(
        self,
        edges: dict[tuple[str, str, str], _Edge],
        rng: random.Random,
        buyers: Sequence[_Company],
        suppliers: Sequence[_Company],
    ) -> None:
        by_role: dict[str, list[_Company]] = {}
        for company in suppliers:
            by_role.setdefault(company.role, []).append(company)
        received: dict[str, set[str]] = {}  # trader id -> HS codes it received, so it re-ships only those
        for edge in edges.values():
            if edge.consignee.role == "trader":
                received.setdefault(edge.consignee.company_id, set()).add(edge.hs6)
        for flow in _FLOWS:
            candidates = [
                c
                for c in by_role.get(flow.supplier, [])
                if c.weight > 0
                and (flow.from_countries is None or c.country in flow.from_countries)
                and self._goods(c, flow, received)
            ]
            if not candidates:
                continue
            for buyer in buyers:
                if buyer.role != flow.buyer or buyer.focal:
                    continue
                if flow.share < 1.0 and rng.random() >= flow.share:
                    continue
                k = rng.randint(*flow.per_buyer)
                for supplier in _pick(rng, [c for c in candidates if c is not buyer], k):
                    hs6 = rng.choice(self._goods(supplier, flow, received))
                    n = round(rng.randint(*flow.shipments) * _DENSITY)
                    self._add_edge(edges, rng, supplier, buyer, hs6, n, value=flow.value)
                    if buyer.role == "trader":
                        received.setdefault(buyer.company_id, set()).add(hs6)

    @staticmethod
    def _goods(company: _Company, flow: _Flow, received: dict[str, set[str]]) -> list[str]:
        if company.role == "trader":
            return sorted(received.get(company.company_id, ()))
        return [hs for hs in company.products if flow.hs is None or hs in flow.hs]

    @staticmethod
    def _add_edge(
        edges: dict[tuple[str, str, str], _Edge],
        rng: random.Random,
        shipper: _Company,
        consignee: _Company,
        hs6: str,
        n: int,
        *,
        value: float = 1.0,
        full_window: bool = False,
    ) -> None:
        key = (shipper.company_id, consignee.company_id, hs6)
        if key in edges:
            old = edges[key]
            edges[key] = _Edge(shipper, consignee, hs6, old.shipments + n, old.mu, old.sigma, old.lo, old.hi)
            return
        # bigger makers sell bigger lots, and buy more inputs and equipment
        median = (
            _GOODS[hs6].value * shipper.size * consignee.size**0.5 * value * math.exp(rng.gauss(0.0, 0.3))
        )
        lo, hi = 0, WINDOW_DAYS + 1
        if not full_window and rng.random() < 0.25:  # a supplier that started or stopped mid-window
            span = rng.randint(WINDOW_DAYS * 2 // 5, WINDOW_DAYS)
            lo = rng.randint(0, WINDOW_DAYS - span)
            hi = lo + span + 1
        edges[key] = _Edge(shipper, consignee, hs6, n, math.log(median), 0.6, lo, hi)


def _pick(rng: random.Random, candidates: list[_Company], k: int) -> list[_Company]:
    """k distinct companies, each draw weighted by `weight` (without replacement)."""
    pool = list(candidates)
    chosen: list[_Company] = []
    while pool and len(chosen) < k:
        point = rng.random() * sum(c.weight for c in pool)
        for i, company in enumerate(pool):
            point -= company.weight
            if point < 0 or i == len(pool) - 1:
                chosen.append(pool.pop(i))
                break
    return chosen


def _lei(rng: random.Random) -> str:
    """An ISO 17442 LEI with valid check digits under prefix 9999, which no issuer uses."""
    body = "999900" + "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(12))
    number = int("".join(str(int(ch, 36)) for ch in body + "00"))
    return f"{body}{98 - number % 97:02d}"


# --------------------------------------------------------------------------------------------
# Writing.


@dataclass(slots=True)
class _Party:
    """What bills say about one company: name spellings, addresses, country spellings, ports."""

    names: list[str]
    addresses: list[str]
    countries: list[str]
    origins: list[str]  # origin_country of the goods it ships as written ("" = left empty)
    ports: tuple[str, ...]


def _party(company: _Company) -> _Party:
    short = f"{company.city}, {_COUNTRY_NAMES.get(company.country, (company.country,))[0]}".upper()
    countries = _country_pool(company.country)
    origins = _country_pool(company.origin) if company.origin else [""] * 8 + countries
    return _Party(
        names=company.spellings,
        addresses=[company.address.upper()] * 5 + [company.address] * 2 + [short, ""],
        countries=countries,
        origins=origins,
        ports=_PORTS.get(company.country, ("",)),
    )


def _cluster_rows(cluster: _Cluster, rng: random.Random, days: list[str]) -> list[list[str]]:
    """All shipments of one cluster as CSV rows in date order; shipment_id (column 0) still empty."""
    parties: dict[str, _Party] = {}
    hs_pools: dict[str, list[str]] = {}
    rows: list[list[str]] = []
    append = rows.append
    rnd = rng.random
    normal = _NORMAL
    exp = math.exp
    for edge in cluster.edges:
        shipper = parties.get(edge.shipper.company_id)
        if shipper is None:
            shipper = parties[edge.shipper.company_id] = _party(edge.shipper)
        consignee = parties.get(edge.consignee.company_id)
        if consignee is None:
            consignee = parties[edge.consignee.company_id] = _party(edge.consignee)
        hs_pool = hs_pools.get(edge.hs6)
        if hs_pool is None:
            hs_pool = hs_pools[edge.hs6] = _hs_pool(edge.hs6)
        good = _GOODS[edge.hs6]
        desc, n_desc = good.descriptions, len(good.descriptions)
        names, n_names = shipper.names, len(shipper.names)
        addrs, n_addrs = shipper.addresses, len(shipper.addresses)
        ctrs, n_ctrs = shipper.countries, len(shipper.countries)
        origins, n_origins = shipper.origins, len(shipper.origins)
        c_names, n_c_names = consignee.names, len(consignee.names)
        c_addrs, n_c_addrs = consignee.addresses, len(consignee.addresses)
        c_ctrs, n_c_ctrs = consignee.countries, len(consignee.countries)
        lading, n_lading = shipper.ports, len(shipper.ports)
        unlading, n_unlading = consignee.ports, len(consignee.ports)
        n_hs = len(hs_pool)
        lo, span = edge.lo, edge.hi - edge.lo
        mu, sigma = edge.mu, edge.sigma
        per_kg, per_package = good.usd_per_kg, good.kg_per_package
        for _ in range(edge.shipments):
            value = exp(mu + sigma * normal[int(rnd() * 4096)])
            weight = value / per_kg * (0.8 + 0.4 * rnd())
            append(
                [
                    "",
                    days[lo + int(rnd() * span)],
                    names[int(rnd() * n_names)],
                    addrs[int(rnd() * n_addrs)],
                    ctrs[int(rnd() * n_ctrs)],
                    c_names[int(rnd() * n_c_names)],
                    c_addrs[int(rnd() * n_c_addrs)],
                    c_ctrs[int(rnd() * n_c_ctrs)],
                    origins[int(rnd() * n_origins)],
                    hs_pool[int(rnd() * n_hs)],
                    desc[int(rnd() * n_desc)],
                    f"{value:.2f}",
                    "" if rnd() < 0.15 else str(int(weight / per_package) + 1),
                    "" if rnd() < 0.1 else f"{weight:.1f}",
                    lading[int(rnd() * n_lading)],
                    unlading[int(rnd() * n_unlading)],
                    "",
                    "",
                ]
            )
    rows.sort(key=itemgetter(1))
    return rows


def _write_suppliers(path: Path, core: _Cluster, seed: int) -> list[dict[str, object]]:
    """Write the focal importer's supplier list; return what each row should resolve to, by line.

    Depends only on cluster 0 and the seed (never on as_of or scale): annual values come from the
    trade edges' expected value per year, not from the drawn shipments.
    """
    rng = random.Random(f"tiersight-synth:{seed}:suppliers")
    by_key = {c.key: c for c in core.companies}
    annual: dict[tuple[str, str], float] = {}  # (supplier key, hs6) -> expected value a year
    for edge in core.edges:
        if edge.consignee.focal:
            mean = math.exp(edge.mu + edge.sigma**2 / 2) * edge.shipments / _YEARS
            annual[(edge.shipper.key, edge.hs6)] = annual.get((edge.shipper.key, edge.hs6), 0.0) + mean
    rows = _table(_SUPPLIER_LIST, 8)
    rng.shuffle(rows)
    refs = rng.sample(range(10000, 100000), len(rows))
    truth: list[dict[str, object]] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SUPPLIER_COLUMNS)
        for line, (row, ref) in enumerate(zip(rows, refs, strict=True), start=2):
            name, country, address, hs_code, part, expect, means, value_note = row
            keys = means.split()
            digits = "".join(ch for ch in hs_code if ch.isdigit())
            value = sum(v for (key, hs6), v in annual.items() if key in keys and hs6.startswith(digits[:6]))
            value = (value or rng.uniform(15_000, 400_000)) * rng.uniform(0.85, 1.15)
            prefix = _PART_PREFIX.get(digits[:4], "PN")
            part_number = (
                "" if rng.random() < 0.15 else f"{prefix}-{rng.randint(100, 999)}{rng.choice('ABCDEFGH')}"
            )
            annual_value = "" if value_note == "none" else f"{round(value, -2):.0f}"
            writer.writerow((name, country, address, f"V{ref}", part_number, part, hs_code, annual_value))
            truth.append(
                {
                    "line": line,
                    "supplier_name": name,
                    "expect": expect,
                    "company_ids": [by_key[key].company_id for key in keys],
                }
            )
    return truth


def _write_registry(writerow: Callable[[Sequence[str]], object], companies: Iterable[_Company]) -> int:
    """Registry rows for the registered companies; returns how many."""
    count = 0
    for company in companies:
        if company.registered:
            aliases = list(company.aliases)
            if company.zh and company.zh not in aliases:
                aliases.append(company.zh)
            lei = company.lei or ""
            writerow(
                (company.company_id, company.name, "|".join(aliases), company.address, company.country, lei)
            )
            count += 1
    return count


def _truth_entry(company: _Company) -> dict[str, object]:
    return {
        "company_id": company.company_id,
        "name": company.name,
        "country": company.country,
        "role": company.role,
        "registered": company.registered,
        "cluster": company.cluster,
        "spellings": sorted(set(company.spellings)),
    }


def generate(out_dir: Path, *, scale: int = 1, seed: int = 7, as_of: date | None = None) -> SynthStats:
    """Write shipments.csv, companies.csv, suppliers.csv and truth.json into `out_dir`.

    `scale` >= 1 is the number of clusters (rows grow linearly); shipments are dated within
    WINDOW_DAYS before `as_of` (default today). The same arguments give byte-identical files.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    as_of = as_of or date.today()
    start = as_of - timedelta(days=WINDOW_DAYS)
    days = [(start + timedelta(days=i)).isoformat() for i in range(WINDOW_DAYS + 1)]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = tuple(
        out_dir / name for name in ("shipments.csv", "companies.csv", "suppliers.csv", "truth.json")
    )
    builder = _Builder(seed)
    n_rows = n_registered = n_companies = 0
    truth_companies: list[dict[str, object]] = []
    core: _Cluster | None = None
    with (
        paths[0].open("w", encoding="utf-8", newline="") as shipments_file,
        paths[1].open("w", encoding="utf-8", newline="") as companies_file,
    ):
        shipments_out = csv.writer(shipments_file, lineterminator="\n")
        companies_out = csv.writer(companies_file, lineterminator="\n")
        shipments_out.writerow(SHIPMENT_COLUMNS)
        companies_out.writerow(COMPANY_COLUMNS)
        for index in range(scale):
            cluster = builder.core_cluster() if index == 0 else builder.extra_cluster(index)
            core = core or cluster
            rows = _cluster_rows(cluster, builder.rng("rows", index), days)
            for number, row in enumerate(rows, start=n_rows + 1):
                row[0] = f"S{number:07d}"
            shipments_out.writerows(rows)
            n_rows += len(rows)
            n_registered += _write_registry(companies_out.writerow, cluster.companies)
            n_companies += len(cluster.companies)
            truth_companies.extend(_truth_entry(c) for c in cluster.companies)
    assert core is not None
    supplier_truth = _write_suppliers(paths[2], core, seed)
    focal = next(c for c in core.companies if c.focal)
    truth = {
        "seed": seed,
        "scale": scale,
        "as_of": as_of.isoformat(),
        "importer": {"company_id": focal.company_id, "name": focal.name},
        "suppliers": supplier_truth,
        "companies": truth_companies,
    }
    paths[3].write_text(json.dumps(truth, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return SynthStats(
        shipments=n_rows,
        companies=n_registered,
        suppliers=len(supplier_truth),
        network_companies=n_companies,
        clusters=scale,
        importer=focal.name,
        files=paths,
    )
