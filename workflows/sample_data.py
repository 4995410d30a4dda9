"""The demonstration offices: the 2020 programme's 64 stations in 40 counties of 8 prefectures.

The programme (贵州省易地扶贫搬迁安置点新设街道社会工作和志愿服务站项目实施方案) places stations in the new
street offices of poverty-relocation resettlement sites; the seed names neither the counties nor the
streets, so the counties are real Guizhou counties with their division codes and the streets are
resettlement-area street offices of those counties. Every office gets one user (username = office
code, a supervisor, named after the office: 威宁县民政局管理员); the provincial department's user also
owns the process definitions.

`region` is the division whose regional holidays an office keeps: the autonomous prefecture for every
office inside 黔东南, 黔南 or 黔西南 (they declare ethnic holidays), else the office's own division (a
station keeps its county's, so an autonomous county's holidays reach its stations).
"""
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction

from .models import Membership, Office, OfficeKind

K = OfficeKind

PROVINCE_CODE = "gz-civil-affairs"
FINANCE_CODE = "gz-finance"
PROVINCE_REGION = "520000"

# Prefecture: (division code, name, English name, autonomous), then its counties.
# County: (division code, name, English name, [(street slug, street, English street)]).
PROGRAMME = [
    (("5202", "六盘水市", "Liupanshui", False), [
        ("520201", "钟山区", "Zhongshan District", [("dewu", "德坞街道", "Dewu")]),
        ("520203", "六枝特区", "Liuzhi Special District", [
            ("jiulong", "九龙街道", "Jiulong"), ("yinhu", "银壶街道", "Yinhu")]),
        ("520204", "水城区", "Shuicheng District", [
            ("shuangshui", "双水街道", "Shuangshui"), ("laoyingshan", "老鹰山街道", "Laoyingshan"),
            ("dongdi", "董地街道", "Dongdi")]),
        ("520281", "盘州市", "Panzhou", [("hanlin", "翰林街道", "Hanlin"), ("yizi", "亦资街道", "Yizi")]),
    ]),
    (("5203", "遵义市", "Zunyi", False), [
        ("520304", "播州区", "Bozhou District", [("longkeng", "龙坑街道", "Longkeng")]),
        ("520324", "正安县", "Zheng'an County", [("ruihao", "瑞濠街道", "Ruihao")]),
        ("520325", "道真仡佬族苗族自治县", "Daozhen Gelao and Miao Autonomous County", [
            ("yinzhen", "尹珍街道", "Yinzhen")]),
        ("520326", "务川仡佬族苗族自治县", "Wuchuan Gelao and Miao Autonomous County", [
            ("daping", "大坪街道", "Daping"), ("duru", "都濡街道", "Duru")]),
        ("520330", "习水县", "Xishui County", [
            ("shanwang", "杉王街道", "Shanwang"), ("donghuang", "东皇街道", "Donghuang")]),
    ]),
    (("5204", "安顺市", "Anshun", False), [
        ("520402", "西秀区", "Xixiu District", [("xinan", "新安街道", "Xin'an")]),
        ("520423", "镇宁布依族苗族自治县", "Zhenning Buyei and Miao Autonomous County", [
            ("baimahu", "白马湖街道", "Baimahu"), ("ningxi", "宁西街道", "Ningxi")]),
        ("520424", "关岭布依族苗族自治县", "Guanling Buyei and Miao Autonomous County", [
            ("dingyun", "顶云街道", "Dingyun")]),
        ("520425", "紫云苗族布依族自治县", "Ziyun Miao and Buyei Autonomous County", [
            ("songshan", "松山街道", "Songshan"), ("wufeng", "五峰街道", "Wufeng")]),
    ]),
    (("5205", "毕节市", "Bijie", False), [
        ("520502", "七星关区", "Qixingguan District", [
            ("baiyanglin", "柏杨林街道", "Baiyanglin"), ("hongshan", "洪山街道", "Hongshan")]),
        ("520521", "大方县", "Dafang County", [("hongqi", "红旗街道", "Hongqi"), ("shunde", "顺德街道", "Shunde")]),
        ("520524", "织金县", "Zhijin County", [
            ("huimin", "惠民街道", "Huimin"), ("shuangyan", "双堰街道", "Shuangyan")]),
        ("520525", "纳雍县", "Nayong County", [("juren", "居仁街道", "Juren"), ("yongxi", "雍熙街道", "Yongxi")]),
        ("520526", "威宁彝族回族苗族自治县", "Weining Yi, Hui and Miao Autonomous County", [
            ("wuligang", "五里岗街道", "Wuligang"), ("shanqiao", "陕桥街道", "Shanqiao"),
            ("liuqiao", "六桥街道", "Liuqiao")]),
        ("520527", "赫章县", "Hezhang County", [("jinyinshan", "金银山街道", "Jinyinshan")]),
        ("520581", "黔西市", "Qianxi", [("jinxiu", "锦绣街道", "Jinxiu")]),
    ]),
    (("5206", "铜仁市", "Tongren", False), [
        ("520602", "碧江区", "Bijiang District", [
            ("dengta", "灯塔街道", "Dengta"), ("chuandong", "川硐街道", "Chuandong")]),
        ("520603", "万山区", "Wanshan District", [("dandu", "丹都街道", "Dandu"), ("renshan", "仁山街道", "Renshan")]),
        ("520624", "思南县", "Sinan County", [("shuangtang", "双塘街道", "Shuangtang")]),
        ("520626", "德江县", "Dejiang County", [("yushui", "玉水街道", "Yushui")]),
        ("520627", "沿河土家族自治县", "Yanhe Tujia Autonomous County", [
            ("tuanjie", "团结街道", "Tuanjie"), ("youxi", "祐溪街道", "Youxi")]),
        ("520628", "松桃苗族自治县", "Songtao Miao Autonomous County", [("jiujiang", "九江街道", "Jiujiang")]),
    ]),
    (("5223", "黔西南布依族苗族自治州", "Qianxinan Buyei and Miao Autonomous Prefecture", True), [
        ("522301", "兴义市", "Xingyi", [("liping", "栗坪街道", "Liping"), ("sajin", "洒金街道", "Sajin")]),
        ("522302", "兴仁市", "Xingren", [("donghu", "东湖街道", "Donghu"), ("luguan", "陆关街道", "Luguan")]),
        ("522323", "普安县", "Pu'an County", [("chayuan", "茶源街道", "Chayuan")]),
        ("522324", "晴隆县", "Qinglong County", [
            ("sanbao", "三宝街道", "Sanbao"), ("dongguan", "东观街道", "Dongguan")]),
        ("522326", "望谟县", "Wangmo County", [("pingdong", "平洞街道", "Pingdong")]),
    ]),
    (("5226", "黔东南苗族侗族自治州", "Qiandongnan Miao and Dong Autonomous Prefecture", True), [
        ("522601", "凯里市", "Kaili", [("ximahe", "洗马河街道", "Ximahe")]),
        ("522622", "黄平县", "Huangping County", [("xinzhou", "新州街道", "Xinzhou")]),
        ("522632", "榕江县", "Rongjiang County", [("guzhou", "古州街道", "Guzhou"), ("chemin", "车民街道", "Chemin")]),
        ("522633", "从江县", "Congjiang County", [
            ("bingmei", "丙妹街道", "Bingmei"), ("guandong", "贯洞街道", "Guandong")]),
        ("522634", "雷山县", "Leishan County", [("danjiang", "丹江街道", "Danjiang")]),
    ]),
    (("5227", "黔南布依族苗族自治州", "Qiannan Buyei and Miao Autonomous Prefecture", True), [
        ("522728", "罗甸县", "Luodian County", [("longping", "龙坪街道", "Longping"), ("huxing", "斛兴街道", "Huxing")]),
        ("522729", "长顺县", "Changshun County", [("changzhai", "长寨街道", "Changzhai")]),
        ("522731", "惠水县", "Huishui County", [
            ("mengjiang", "濛江街道", "Mengjiang"), ("heping", "和平街道", "Heping")]),
        ("522732", "三都水族自治县", "Sandu Shui Autonomous County", [("sanhe", "三合街道", "Sanhe")]),
    ]),
]

SOCIAL_ORGS = [
    ("org-yangguang", "贵州阳光社会工作服务中心", "Guizhou Sunshine Social Work Service Centre"),
    ("org-tongxin", "贵州同心社会工作服务中心", "Guizhou Tongxin Social Work Service Centre"),
    ("org-qianxing", "贵州黔行社会工作发展中心", "Guizhou Qianxing Social Work Development Centre"),
    ("org-anju", "毕节市安居社会工作服务中心", "Bijie Anju Social Work Service Centre"),
    ("org-fanjing", "铜仁市梵净社会工作服务中心", "Tongren Fanjing Social Work Service Centre"),
    ("org-miaoling", "黔东南州苗岭社会工作服务中心", "Qiandongnan Miaoling Social Work Service Centre"),
]

EVALUATORS = [
    ("eval-committee", "社工站项目政府采购评标委员会", "Bid Evaluation Committee of the Station Procurement"),
    ("eval-qiancheng", "贵州黔诚社会组织评估中心", "Guizhou Qiancheng Social Organisation Evaluation Centre"),
]


@dataclass(frozen=True)
class SampleOffice:
    code: str
    name: str
    name_en: str
    kind: str
    parent: str | None
    region: str

    @property
    def account_name(self):
        """The display name of the office's account: its short name and the account's role."""
        return short_name(self.name) + ("联络员" if self.kind in LIAISON_KINDS else "管理员")


# Offices outside the civil-affairs hierarchy, whose account is their contact with it.
LIAISON_KINDS = {K.STATION, K.SOCIAL_ORG, K.EVALUATOR}
# How names are shortened in speech: 威宁彝族回族苗族自治县 → 威宁县, 贵州省民政厅 → 省民政厅, and so on.
AUTONOMOUS = re.compile(r"^(.+?)(?:彝族|回族|苗族|布依族|侗族|水族|仡佬族|土家族)+自治([县州])")
SHORTER = (("贵州省", "省"), ("社会工作和志愿服务站", "社工站"), ("社会工作服务中心", "社工中心"),
           ("社会工作发展中心", "社工中心"), ("社会组织评估中心", "评估中心"))


def short_name(name):
    name = AUTONOMOUS.sub(r"\1\2", name)
    for long, short in SHORTER:
        name = name.replace(long, short)
    return name


def sample_offices():
    """Every demonstration office, each parent before its children."""
    offices = [
        SampleOffice(PROVINCE_CODE, "贵州省民政厅", "Guizhou Provincial Department of Civil Affairs",
                     K.PROVINCE_CIVIL_AFFAIRS, None, PROVINCE_REGION),
        SampleOffice(FINANCE_CODE, "贵州省财政厅", "Guizhou Provincial Department of Finance",
                     K.PROVINCE_FINANCE, None, PROVINCE_REGION),
    ]
    for (pref_code, pref_name, pref_en, pref_autonomous), counties in PROGRAMME:
        pref_region = f"{pref_code}00"
        suffix = "Prefecture" if pref_autonomous else "Municipal"
        offices.append(SampleOffice(pref_code, f"{pref_name}民政局", f"{pref_en} {suffix} Civil Affairs Bureau",
                                    K.PREFECTURE_BUREAU, PROVINCE_CODE, pref_region))
        for county_code, county_name, county_en, streets in counties:
            # Inside an autonomous prefecture its holidays apply; elsewhere the county's own.
            region = pref_region if pref_autonomous else county_code
            offices.append(SampleOffice(county_code, f"{county_name}民政局", f"{county_en} Civil Affairs Bureau",
                                        K.COUNTY_BUREAU, pref_code, region))
            for slug, street, street_en in streets:
                offices.append(SampleOffice(
                    f"{county_code}-{slug}", f"{county_name}{street}社会工作和志愿服务站",
                    f"{street_en} Street Social Work and Volunteer Service Station, {county_en}",
                    K.STATION, county_code, region))
    offices += [SampleOffice(code, name, name_en, K.SOCIAL_ORG, None, "") for code, name, name_en in SOCIAL_ORGS]
    offices += [SampleOffice(code, name, name_en, K.EVALUATOR, None, "") for code, name, name_en in EVALUATORS]
    return offices


@dataclass
class LoadResult:
    offices_created: int = 0
    offices_updated: int = 0
    users_created: int = 0
    users_named: int = 0
    memberships_changed: int = 0
    passwords_set: int = 0

    @property
    def changed(self):
        return any((self.offices_created, self.offices_updated, self.users_created, self.users_named,
                    self.memberships_changed, self.passwords_set))


@transaction.atomic
def load_sample_data(password, reset_passwords=False):
    """Create or bring up to date the demonstration offices and their users; what changed.

    New users get `password`; existing users keep theirs unless `reset_passwords`.
    """
    User = get_user_model()
    result = LoadResult()
    samples = sample_offices()
    # One hash for every new user and one check per distinct stored hash: hashing a hundred times
    # over would take a minute.
    new_hash = make_password(password)
    checked = {}

    def has_password(user):
        if user.password not in checked:
            checked[user.password] = check_password(password, user.password)
        return checked[user.password]

    offices = {office.code: office for office in Office.objects.filter(code__in=[s.code for s in samples])}
    users = {user.username: user for user in User.objects.filter(username__in=[s.code for s in samples])}
    memberships = {(m.user_id, m.office_id): m for m in Membership.objects.filter(office__in=offices.values())}
    for sample in samples:
        fields = {"name": sample.name, "name_en": sample.name_en, "kind": sample.kind, "region": sample.region,
                  "is_sample": True, "parent_id": offices[sample.parent].pk if sample.parent else None}
        office = offices.get(sample.code)
        if office is None:
            office = offices[sample.code] = Office.objects.create(code=sample.code, **fields)
            result.offices_created += 1
        elif any(getattr(office, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(office, name, value)
            office.save()
            result.offices_updated += 1

        user = users.get(sample.code)
        if user is None:
            user = User.objects.create(username=sample.code, password=new_hash, first_name=sample.account_name)
            result.users_created += 1
        elif user.get_full_name() != sample.account_name:
            user.first_name, user.last_name = sample.account_name, ""
            user.save(update_fields=["first_name", "last_name"])
            result.users_named += 1
        elif reset_passwords and not has_password(user):
            user.password = new_hash
            user.save(update_fields=["password"])
            result.passwords_set += 1

        owner = sample.code == PROVINCE_CODE
        membership = memberships.get((user.pk, office.pk))
        if membership is None:
            Membership.objects.create(user=user, office=office, is_supervisor=True, is_process_owner=owner)
            result.memberships_changed += 1
        elif not membership.is_supervisor or membership.is_process_owner != owner:
            membership.is_supervisor, membership.is_process_owner = True, owner
            membership.save(update_fields=["is_supervisor", "is_process_owner"])
            result.memberships_changed += 1
    return result
