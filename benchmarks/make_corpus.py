"""Generate a deterministic corpus of realistic Chinese health articles for benchmarks.

    python benchmarks/make_corpus.py 10000 --out /tmp/corpus-10k [--seed 1] [--shape skewed]

The same N, seed and shape give byte-identical files. The corpus is a complete site: site.toml,
content/ (40 cities, 12 topics with their own tag pools, 2–5 tags per article, bodies of about
1,400 characters with headings, lists, bold text and tables), and the repository's default theme.

The default shape spreads articles evenly. The shapes that once hurt 相关推荐 can be asked for one
by one or together (`--shape skewed`): `--big-topics` (topics of 600–1,700 articles per 10,000),
`--common-tags` (2025新规, 费用 and 攻略, each on a third of the site), `--skewed-cities` (北京 and
上海 nine times as likely as 兰州). The skewed shape also ranks 10 related cards, as a new site does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

from sitegen.theme import THEME_DIR

REPO = Path(__file__).resolve().parents[1]

CITIES = (
    "北京 上海 广州 深圳 杭州 成都 武汉 南京 重庆 西安 天津 苏州 长沙 郑州 青岛 沈阳 宁波 东莞 无锡 济南 "
    "合肥 福州 厦门 昆明 南昌 哈尔滨 长春 石家庄 太原 南宁 贵阳 兰州 海口 乌鲁木齐 呼和浩特 银川 西宁 拉萨 佛山 大连"
).split()

# topic → (slug, tag pool, subjects a title can be about)
TOPICS = {
    "医保": ("yibao", "个人账户 断缴 异地就医 报销比例 门诊统筹 医保卡 起付线 居民医保 职工医保 家庭共济 住院报销 医保目录 备案 大病保险 医保转移".split(), "医保断缴 异地就医备案 门诊统筹报销 医保卡余额 住院报销比例 医保个人账户 居民医保缴费".split()),
    "社保": ("shebao", "养老保险 失业保险 社保缴费基数 灵活就业 社保转移 退休 工伤保险 补缴 社保卡 缴费年限".split(), "社保断缴 社保补缴 失业金领取 养老金计算 灵活就业参保 社保转移".split()),
    "生育保险": ("shengyubaoxian", "生育津贴 产检 报销 产假 未就业配偶 分娩费用 生育医疗费 申领".split(), "生育津贴申领 产检报销 生育保险待遇 分娩费用报销".split()),
    "就医指南": ("jiuyi", "三甲医院 挂号 专科医院 儿童医院 急诊 预约 专家号 夜间门诊 互联网医院 转诊".split(), "看皮肤科 看儿科 看眼科 看骨科 看妇科 看口腔 看耳鼻喉 看消化科".split()),
    "症状": ("zhengzhuang", "发热 咳嗽 头痛 胸闷 腹痛 头晕 失眠 乏力 心慌 皮疹 咽痛 腹泻".split(), "反复低烧 咳嗽不好 头痛头晕 胸闷气短 腹痛腹泻 长期失眠".split()),
    "术前检查": ("shuqianjiancha", "血常规 凝血功能 心电图 麻醉评估 肝肾功能 胸片 传染病筛查 血型 尿常规 心脏彩超".split(), "术前检查项目 凝血功能异常 心电图异常 麻醉评估 胃镜检查前准备".split()),
    "儿童健康": ("ertong", "过敏 湿疹 过敏性鼻炎 食物过敏 发热 疫苗 生长发育 哮喘 手足口病 积食".split(), "宝宝湿疹 儿童过敏性鼻炎 孩子食物过敏 儿童反复发热 儿童哮喘".split()),
    "慢性病": ("manxingbing", "高血压 糖尿病 门诊慢特病 高血脂 痛风 慢阻肺 冠心病 长期处方 血糖监测 降压药".split(), "高血压用药 糖尿病复诊 门诊慢特病申请 痛风饮食 血脂偏高".split()),
    "用药": ("yongyao", "抗生素 退烧药 处方药 布洛芬 对乙酰氨基酚 儿童用药 药店购药 医保药品 过期药 用药禁忌".split(), "退烧药选择 抗生素使用 儿童用药剂量 药店刷医保 处方药购买".split()),
    "体检": ("tijian", "入职体检 肿瘤标志物 体检套餐 甲状腺结节 肺结节 幽门螺杆菌 体检报告 骨密度 乳腺检查".split(), "入职体检项目 肿瘤标志物偏高 体检发现结节 体检套餐选择".split()),
    "口腔健康": ("kouqiang", "洗牙 种植牙 牙周炎 智齿 正畸 补牙 儿童龋齿 口腔溃疡".split(), "种植牙费用 智齿拔除 洗牙报销 儿童牙齿矫正".split()),
    "眼健康": ("yanke", "近视 白内障 干眼症 青光眼 配眼镜 角膜塑形镜 视力检查 飞蚊症".split(), "儿童近视防控 白内障手术 干眼症治疗 配角膜塑形镜".split()),
}

# Relative topic sizes for --big-topics: 1,700 down to 600 articles per 10,000.
BIG_TOPIC_WEIGHTS = [17, 14, 10, 8.5, 7.5, 7, 6.5, 6, 6, 6, 6, 6]
# For --skewed-cities: the first cities are the big ones (北京 and 上海 nine times 兰州, the 32nd).
CITY_WEIGHTS = [9, 9, 8, 8, 6, 6, 5, 5, 4, 4] + [3] * 10 + [2] * 11 + [1] * 9
COMMON_TAGS = ["2025新规", "费用", "攻略"]  # for --common-tags: each on about a third of all articles


class Shape:
    """Which of the skewed shapes a corpus has (all off: the original, even corpus)."""

    def __init__(self, big_topics: bool = False, common_tags: bool = False, skewed_cities: bool = False):
        self.big_topics, self.common_tags, self.skewed_cities = big_topics, common_tags, skewed_cities

    @classmethod
    def named(cls, name: str) -> Shape:
        return cls(True, True, True) if name == "skewed" else cls()

    @property
    def any(self) -> bool:
        return self.big_topics or self.common_tags or self.skewed_cities


TITLE_PATTERNS = [
    "{year}年{city}{subject}怎么办",
    "{city}{subject}去哪家医院好",
    "{city}{subject}需要注意什么",
    "{subject}有哪些要点({city})",
    "{city}{subject}流程是怎样的",
    "{city}{subject}常见问题解答",
    "{year}年{city}{subject}最新规定",
]

OPENINGS = ["一般来说", "根据目前公开的信息", "从各地的做法看", "多数情况下", "具体来说", "需要提醒的是", "值得注意的是", "总体而言"]
SUBJECTS = ["参保人", "患者", "家长", "就诊者", "办理人", "申请人", "老年人", "上班族"]
ACTIONS = [
    "可以先通过官方渠道查询{tag}的办理条件", "应当提前准备身份证和{tag}相关材料", "需要留意{tag}的时间要求",
    "最好在医生指导下处理{tag}相关问题", "可以咨询所在社区或医院的服务窗口了解{tag}", "建议保留好{tag}相关的票据和记录",
    "遇到{tag}问题时不要盲目自行处理", "可以在线上平台预约{tag}相关服务", "办理{tag}前先确认所在城市的最新政策",
    "如果{tag}的情况持续加重应及时就医", "{tag}的标准各地不完全相同", "不同医院对{tag}的安排可能有差异",
]
ENDINGS = ["以当地最新公布为准", "必要时请咨询专业人员", "具体以窗口答复为准", "请结合自身情况判断", "不同人群要求不同", "避免耽误后续办理"]
SECTION_TITLES = ["基本情况", "办理流程", "注意事项", "常见问题", "费用说明", "就医建议", "材料准备", "时间安排"]


def sentence(rng: random.Random, tag: str) -> str:
    action = rng.choice(ACTIONS).format(tag=tag)
    return f"{rng.choice(OPENINGS)},{rng.choice(SUBJECTS)}{action},{rng.choice(ENDINGS)}。"


def paragraph(rng: random.Random, tags: list[str], sentences: int) -> str:
    return "".join(sentence(rng, rng.choice(tags)) for _ in range(sentences))


def body(rng: random.Random, title: str, tags: list[str], target: int = 1400) -> str:
    numbers = "一二三四五六七八九十"
    parts = [f"关于“{title}”,**先说结论:{paragraph(rng, tags, 1)}**{paragraph(rng, tags, 1)}"]
    section = 0
    while sum(len(p) for p in parts) < target:
        parts.append(f"## {numbers[section % 10]}、{rng.choice(SECTION_TITLES)}")
        kind = rng.random()
        if kind < 0.4:
            parts.append("\n".join(f"{i}. **{rng.choice(tags)}**:{sentence(rng, rng.choice(tags))}" for i in range(1, rng.randint(3, 5))))
        elif kind < 0.7:
            items = []
            for _ in range(rng.randint(2, 4)):
                items.append(f"- {sentence(rng, rng.choice(tags))}")
                if rng.random() < 0.3:
                    items.append(f"    - {sentence(rng, rng.choice(tags))}")
            parts.append("\n".join(items))
        elif kind < 0.85:
            rows = "\n".join(f"| {rng.choice(tags)} | {rng.choice(['需要', '视情况', '不需要'])} | {rng.choice(ENDINGS)} |" for _ in range(3))
            parts.append(f"| 项目 | 是否需要 | 说明 |\n| --- | --- | --- |\n{rows}")
        parts.append(paragraph(rng, tags, rng.randint(2, 4)))
        section += 1
    return "\n\n".join(parts) + "\n"


VARIED_WORDS = 40  # words of pypinyin's phrase list that --varied-words adds to each article


def make_corpus(
    count: int, out: Path, seed: int = 1, shape: Shape | None = None, datetimes: bool = False, varied_words: bool = False
) -> Path:
    """Write a site of `count` articles into `out` (replacing it); return `out`.

    `datetimes`: dates as RFC 3339 date-times in +08:00 (2025-12-26T09:30:00+08:00).
    `varied_words`: each article ends with a paragraph of VARIED_WORDS words drawn from
    pypinyin's 46,000-phrase list with Zipf weights, so the site's vocabulary grows as a real
    one's does (the templates alone use a few thousand words; 10,000 articles then have about
    50,000, and the search word list weighs what a real site's would)."""
    shape = shape or Shape()
    phrases: list[str] = []
    if varied_words:
        from pypinyin.phrases_dict import phrases_dict

        phrases = sorted(word for word in phrases_dict if 2 <= len(word) <= 4)
        random.Random(seed).shuffle(phrases)
        weights = [1 / (rank + 10) for rank in range(len(phrases))]
        extra = random.Random(seed + 1)  # its own draws: the other bytes stay as without the option
    if out.exists():
        shutil.rmtree(out)
    rng = random.Random(seed)
    topic_names = list(TOPICS)
    start = dt.date(2023, 1, 1)
    for number in range(count):
        # The default shape's draws stay exactly as they were, so its corpus keeps its bytes.
        if number < len(topic_names):
            topic = topic_names[number % len(topic_names)]
        elif shape.big_topics:
            topic = rng.choices(topic_names, weights=BIG_TOPIC_WEIGHTS)[0]
        else:
            topic = rng.choice(topic_names)
        slug, pool, subjects = TOPICS[topic]
        if rng.random() > 0.15:
            city = rng.choices(CITIES, weights=CITY_WEIGHTS)[0] if shape.skewed_cities else rng.choice(CITIES)
        else:
            city = "全国"
        if shape.common_tags:
            wanted = rng.randint(2, 5)
            common = [tag for tag in COMMON_TAGS if rng.random() < 1 / 3][: wanted - 1]
            tags = common + rng.sample(pool, wanted - len(common))
        else:
            tags = rng.sample(pool, rng.randint(2, 5))
        date = start + dt.timedelta(days=rng.randrange(1400))
        title = rng.choice(TITLE_PATTERNS).format(year=date.year, city="" if city == "全国" else city, subject=rng.choice(subjects))
        title = f"{title}(第{number + 1}期)" if rng.random() < 0.5 else title
        text = body(rng, title, tags)
        if phrases:
            text += "\n延伸阅读\uff1a" + "\uff0c".join(extra.choices(phrases, weights, k=VARIED_WORDS)) + "\u3002\n"
        # The time of day comes from the article's number, not from rng: the other draws stay.
        when = f"{date.isoformat()}T{number * 7919 % 86400 // 3600:02d}:{number * 7919 % 3600 // 60:02d}:00+08:00" if datetimes else date.isoformat()
        front = f"---\ntitle: \"{title}\"\ndate: {when}\ncity: {city}\ntopic: {topic}\ntags: [{', '.join(tags)}]\n---\n"
        path = out / "content" / slug / f"{number // 1000:03d}" / f"a{number:06d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(front + text, encoding="utf-8")
    site_toml = SITE_TOML.replace("count = 6", "count = 10") if shape.any else SITE_TOML
    (out / "site.toml").write_text(site_toml, encoding="utf-8")
    for part in ("layouts", "static"):
        shutil.copytree(THEME_DIR / part, out / part)
    return out


SITE_TOML = """title = "基准测试站"
base_url = "https://bench.example.cn/"
search = false
paginate = 20

[source_notice]
text = "本文根据公开资料整理,仅供基准测试。"
contact = "bench@example.cn"

[related]
count = 6
"""


def shape_from(args: argparse.Namespace) -> Shape:
    named = Shape.named(args.shape)
    return Shape(
        named.big_topics or args.big_topics, named.common_tags or args.common_tags, named.skewed_cities or args.skewed_cities
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shape", choices=["even", "skewed"], default="even", help="skewed: all three options below")
    parser.add_argument("--big-topics", action="store_true", help="topics of 600-1,700 articles per 10,000")
    parser.add_argument("--common-tags", action="store_true", help="three generic tags, each on a third of the site")
    parser.add_argument("--skewed-cities", action="store_true", help="big cities nine times as likely as small ones")
    parser.add_argument("--datetimes", action="store_true", help="dates as RFC 3339 date-times (2025-12-26T09:30:00+08:00)")
    parser.add_argument("--varied-words", action="store_true", help=f"{VARIED_WORDS} words of a 46,000-word list at the end of each article (a real site's vocabulary)")
    args = parser.parse_args()
    make_corpus(args.count, args.out, args.seed, shape_from(args), datetimes=args.datetimes, varied_words=args.varied_words)
    print(f"{args.count} articles in {args.out}")


if __name__ == "__main__":
    main()
