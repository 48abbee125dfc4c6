"""Vocabulary of the demo county: place, compound, company and person names, phone numbers.

Everything is made up from common parts (幸福 + 花园, 王 + 建国), so names look like a real
county's without being anyone's.
"""
from __future__ import annotations

from office.demo.base import Rng, weights

COUNTY_NAME = "示例县"
COUNTY_CODE = "341122"   # the administrative division code inside every local USCC
CITY_CODE = "341100"     # companies registered at the city
AREA_CODE = "0550"

# (name, kind, share of the county's compounds). Ordered so that any prefix mixes the three
# kinds: a small demo still has a street, a town and a farm.
TOWNSHIPS = [
    ("城关街道", "street", 10), ("双河镇", "township", 3), ("红旗农场", "farm", 0.5),
    ("东城街道", "street", 8), ("青山乡", "township", 0.6), ("大桥镇", "township", 2.5),
    ("西城街道", "street", 7), ("新集镇", "township", 2), ("黄湖农场", "farm", 0.4),
    ("南湖街道", "street", 6), ("临湖镇", "township", 2), ("杨柳乡", "township", 0.5),
    ("北关街道", "street", 5), ("三塘镇", "township", 1.5), ("东风林场", "farm", 0.3),
    ("永安镇", "township", 1.5), ("梅林乡", "township", 0.5), ("白马镇", "township", 1.2),
    ("石桥镇", "township", 1.2), ("高庙乡", "township", 0.4),
]

# (name, short_name, duties): the departments the plan names (二.3, 三.3, 三.4).
DEPARTMENTS = [
    ("县住建局", "住建", "县级物业主管部门，牵头全县住宅小区管理工作，督促检查和统计上报"),
    ("县公安局", "公安", "小区治安防范、车辆停放和消防安全相关投诉"),
    ("县民政局", "民政", "指导社区居委会参与小区治理、业委会建设"),
    ("县财政局", "财政", "专项维修资金和财政补助资金监管"),
    ("县市场监管局", "市场监管", "前期物业服务企业排查整治、物业收费监督检查"),
    ("县发改委", "发改", "物业服务收费定价和重新核定"),
    ("县规划局", "规划", "小区规划、配套设施和违法建设认定"),
    ("县自然资源局", "自然资源", "不动产登记、物业用房确权"),
    ("县综合执法局", "综合执法", "违法搭建、占道经营、噪声扰民等城市管理执法"),
]

SURNAMES = weights(
    (s, 1 / (i + 6)) for i, s in enumerate(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
        "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾"
        "毛郝龚邵万钱严武戴孔汤"))
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国文辉林志海燕鹏飞斌波宇浩凯"
         "俊峰琳晶雪梅婷慧莉萍欣宁亮春晓东成龙庆云新立德荣永祥福生金凤翠珍淑宝家佳子思雨鑫瑞博")

NAME_WORDS = (
    "幸福 阳光 锦绣 翠湖 金色 碧水 御景 龙城 凤凰 书香 江南 水岸 颐和 紫荆 桂花 丽景 东方 世纪 "
    "香榭 金桂 兰亭 映月 清华 滨河 湖畔 康居 和谐 盛世 新城 天润 泰和 明珠 文苑 状元 学府 静安 "
    "怡景 嘉禾 瑞景 永和 富康 安居 惠民 民生 光明 春晖 朝阳 育才 未来 香江 龙湖 银河 金域 鑫苑 "
    "汇景 华府 名都 欧景 城市 绿洲 翡翠 君悦 天悦 玉兰 海棠 牡丹 梧桐 杨柳 青枫 竹林 荷塘 秀水 "
    "馨园 福苑 吉祥 如意 鸿运 兴旺 滨湖 望江 观澜 听涛 凤鸣 龙泉 山水 田园 景秀 宜家 乐居 "
    "锦华 金城 银座 时代 新天地 香樟 桃源 梅苑 松林 枫林 白鹭 天鹅 云顶 半岛"
).split()
# 花园 is by far the most common suffix (and the one benchmarks search for).
SUFFIXES = weights([
    ("花园", 34), ("家园", 12), ("小区", 14), ("苑", 8), ("公寓", 5), ("新村", 6), ("华庭", 4),
    ("府", 3), ("名苑", 3), ("雅居", 3), ("城", 3), ("佳苑", 3), ("山庄", 2), ("湾", 2),
    ("嘉园", 2), ("里", 1),
])
RESETTLEMENT_SUFFIXES = weights([("安置小区", 5), ("新村", 4), ("安居苑", 3), ("家园", 3),
                                 ("花园", 2)])
AFFORDABLE_SUFFIXES = weights([("公租房小区", 4), ("廉租房小区", 2), ("经济适用房小区", 2),
                               ("人才公寓", 2), ("保障房小区", 3)])
# Old compounds are often named after the work unit that built them (单位家属院).
WORK_UNITS = (
    "粮食局 供销社 农机厂 纺织厂 县医院 水利局 棉麻公司 化肥厂 食品公司 印刷厂 邮电局 税务局 "
    "第一中学 交通局 电力公司 烟草公司 农业银行 人民医院 教育局 卫生局 酒厂 水泥厂 机械厂 "
    "物资局 商业局 百货公司 汽车站 自来水公司 林业局 木材公司 五金厂 面粉厂"
).split()
WORK_UNIT_SUFFIXES = ["家属院", "宿舍", "宿舍区", "小区", "家属楼"]
QUALIFIERS = ["二期", "三期", "东区", "西区", "南区", "北区", "四期", "五期", "六期"]

PLACE_WORDS = (
    "人民 解放 建设 文化 新华 和平 胜利 东门 西门 南门 北门 城南 城北 长安 太平 龙山 凤鸣 "
    "桃园 柳湖 清河 白塔 望湖 兴隆 金山 银河 荷塘 双塔 丰收 团结 红星 前进 新民 永丰 光华 "
    "振兴 复兴 环城 滨河 沿河 迎宾 健康 青年 育英 花园 东风 红旗 朝阳 中山 长江 淮河 黄山"
).split()
ROAD_SUFFIXES = weights([("路", 10), ("街", 4), ("大道", 2), ("东路", 2), ("西路", 2),
                         ("南路", 1), ("北路", 1), ("巷", 1)])
CN_NUMERALS = "零一二三四五六七八九十"

BRANDS = (
    "安居 万家 鑫源 恒泰 宏达 金盾 康桥 和美 嘉诚 华安 诚信 永信 锦华 东方 顺达 祥和 瑞丰 "
    "天成 盛源 佳和 润泽 明达 恒通 福瑞 兴业 安泰 广厦 居安 美好 康泰 惠家 众诚 泰宁 宜居 "
    "德润 金鼎 银杉 鼎盛 长青 新锐 立信 鸿福 同心 汇通 亿家 邦德 家和 乐邻 优居 慧居 信达 "
    "金源 丰泽 天和 益民 中和 正和 华宇 星辰 蓝天 绿源 碧桂 雅居 怡家 名城 宏图 创新 博远"
).split()
COMPANY_TYPES = weights([("物业服务有限公司", 10), ("物业管理有限公司", 7),
                         ("物业服务有限责任公司", 2), ("物业管理集团有限公司", 1)])
DEVELOPER_TYPES = weights([("置业有限公司", 5), ("房地产开发有限公司", 8),
                           ("房地产有限公司", 3), ("实业有限公司", 1)])
STATE_DEVELOPER = "示例县城市建设投资有限公司"


def person(rng: Rng) -> str:
    """A two- or three-character name (one draw per character: this runs millions of times)."""
    given = rng.pick(GIVEN)
    if rng.random() < 0.65:
        given += rng.pick(GIVEN)
    return rng.weighted(SURNAMES) + given


class People:
    """Names drawn from a pool made once: one draw per person instead of four. Like a real
    county's register, the same name then occurs many times."""

    def __init__(self, rng: Rng, size: int = 20_000):
        self.pool = [person(rng) for _ in range(size)]
        self.random = rng.random

    def __call__(self) -> str:
        return self.pool[int(self.random() * len(self.pool))]

    def drawn_by(self, rng: Rng) -> People:
        """The same pool, drawn from by another generator (the years after 2020)."""
        other = object.__new__(People)
        other.pool, other.random = self.pool, rng.random
        return other


def mobile(rng: Rng) -> str:
    n = int(rng.random() * 5e9)  # one draw: the network digit and the nine digits after it
    return f"1{'35789'[n // 1_000_000_000]}{n % 1_000_000_000:09d}"


def landline(rng: Rng) -> str:
    return f"{AREA_CODE}-{rng.between(2_000_000, 7_999_999)}"


class UniqueNames:
    """Unique names within one scope: the second 阳光花园 becomes 阳光花园二期, and so on."""

    def __init__(self, qualifiers=QUALIFIERS):
        self.qualifiers = qualifiers
        self.seen: dict[str, int] = {}
        self.used: set[str] = set()

    def __call__(self, base: str) -> str:
        k = self.seen.get(base, 0)
        name = base
        while name in self.used:
            k += 1
            name = (base + self.qualifiers[k - 1] if k <= len(self.qualifiers)
                    else f"{base}{k + 1}区")
        self.seen[base] = k
        self.used.add(name)
        return name


def compound_base(rng: Rng, kind: str) -> tuple[str, str | None]:
    """A compound name before de-duplication, and the work unit that built it (if any)."""
    if kind == "old" and rng.chance(0.55):
        unit = rng.pick(WORK_UNITS)
        return unit + rng.pick(WORK_UNIT_SUFFIXES), "县" + unit if unit.endswith("局") else unit
    word = rng.pick(NAME_WORDS)
    if kind == "resettlement":
        return word + rng.weighted(RESETTLEMENT_SUFFIXES), None
    if kind == "affordable":
        return word + rng.weighted(AFFORDABLE_SUFFIXES), None
    return word + rng.weighted(SUFFIXES), None


def place_names(rng: Rng, count: int, suffix_of) -> list[str]:
    """``count`` distinct names like 人民社区 or 建设路; repeats become 人民二社区."""
    names, seen = [], set()
    while len(names) < count:
        word = rng.pick(PLACE_WORDS)
        suffix = suffix_of(rng)
        name, k = word + suffix, 1
        while name in seen:
            k += 1
            num = CN_NUMERALS[k] if k <= 10 else str(k)
            name = word + num + suffix
        seen.add(name)
        names.append(name)
    return names


_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z


def _org_check(code8: str) -> str:
    """Check character of a GB 11714 organisation code (the 9th character)."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w
                for c, w in zip(code8, (3, 7, 9, 10, 5, 8, 4, 2)))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc_body(rng: Rng, division: str, used: set[str]) -> str:
    """The 17-character body of a new company's code, distinct from those in ``used``.

    Companies registered before the 2015 reform kept their numeric organisation code; newer
    ones have an "MA…" code.
    """
    while True:
        if rng.chance(0.3):
            code = f"{rng.between(10_000_000, 99_999_999)}"
        else:
            code = "MA" + "".join(rng.pick(_ALPHABET) for _ in range(6))
        body = "91" + division + code + _org_check(code)
        if body not in used:
            used.add(body)
            return body
