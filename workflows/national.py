"""A synthetic nation for load tests: provinces, prefectures, counties, stations, social organisations and
one account per office, in the proportions of the national programme (31 provinces, ~333 prefectures,
~2,800 counties, ~40,000 stations, ~1,400 organisations).

Every office is marked is_sample and is_synthetic. Division codes follow GB/T 2260's pattern (two digits
for a province, four for a prefecture, six for a county) but are not real, so codes carry a `syn-` prefix
and never meet Guizhou's real sample. Each province has its own civil-affairs department and finance
department (region = the province's code), so lanes resolve to the offices of the instance's province.
"""
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from .models import Membership, Office, OfficeKind
from .sample_data import LIAISON_KINDS

K = OfficeKind
PREFIX = "syn-"
# GB/T 2260's province numbers: the pattern of the codes, not real divisions.
PROVINCE_NUMBERS = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                    50, 51, 52, 53, 54, 61, 62, 63, 64, 65)
STATIONS_PER_COUNTY = 40000 / 2800
STATIONS_PER_PREFECTURE = 40000 / 333
STATIONS_PER_PROVINCE = 40000 / 31
STATIONS_PER_ORG = 40000 / 1400
CHUNK = 5000


@dataclass(frozen=True)
class Size:
    provinces: int
    prefectures: int
    counties: int
    stations: int
    social_orgs: int


def size_for(stations):
    provinces = max(1, min(len(PROVINCE_NUMBERS), round(stations / STATIONS_PER_PROVINCE)))
    prefectures = max(provinces, round(stations / STATIONS_PER_PREFECTURE))
    counties = max(prefectures, round(stations / STATIONS_PER_COUNTY))
    return Size(provinces, prefectures, counties, stations, max(1, round(stations / STATIONS_PER_ORG)))


def province_code(number):
    return f"{PREFIX}{number}-civil-affairs"


def _spread(count, among, rng):
    """`count` children dealt to `among` parents: each gets at least one, the rest at random."""
    shares = [1] * among
    for _ in range(count - among):
        shares[rng.randrange(among)] += 1
    return shares


def national_offices(stations, seed=0):
    """[(code, name, name_en, kind, parent code, region)] of a nation with `stations` stations, parents first."""
    size = size_for(stations)
    rng = random.Random(seed)
    offices = []
    pref_shares = _spread(size.prefectures, size.provinces, rng)
    county_shares = _spread(size.counties, size.prefectures, rng)
    station_shares = _spread(size.stations, size.counties, rng)
    prefecture_index = county_index = 0
    for p, number in enumerate(PROVINCE_NUMBERS[:size.provinces]):
        region = f"{number}0000"
        root = province_code(number)
        offices.append((root, f"合成{number}省民政厅", f"Synthetic Province {number} Department of Civil Affairs",
                        K.PROVINCE_CIVIL_AFFAIRS, None, region))
        offices.append((f"{PREFIX}{number}-finance", f"合成{number}省财政厅",
                        f"Synthetic Province {number} Department of Finance", K.PROVINCE_FINANCE, None, region))
        for f in range(1, pref_shares[p] + 1):
            pref = f"{number}{f:02d}"
            offices.append((PREFIX + pref, f"合成{pref}市民政局", f"Synthetic City {pref} Civil Affairs Bureau",
                            K.PREFECTURE_BUREAU, root, f"{pref}00"))
            for c in range(1, county_shares[prefecture_index] + 1):
                county = f"{pref}{c:02d}"
                offices.append((PREFIX + county, f"合成{county}县民政局",
                                f"Synthetic County {county} Civil Affairs Bureau", K.COUNTY_BUREAU, PREFIX + pref,
                                county))
                for s in range(1, station_shares[county_index] + 1):
                    offices.append((f"{PREFIX}{county}-s{s:02d}", f"合成{county}县第{s}社会工作和志愿服务站",
                                    f"Synthetic Station {s}, County {county}", K.STATION, PREFIX + county, county))
                county_index += 1
            prefecture_index += 1
    for o in range(1, size.social_orgs + 1):
        offices.append((f"{PREFIX}org-{o:04d}", f"合成第{o}社会工作服务中心", f"Synthetic Social Work Centre {o}",
                        K.SOCIAL_ORG, None, ""))
    return offices


@transaction.atomic
def load_national(stations, password, seed=0):
    """Create the synthetic nation's offices, one account each (username = office code) and their
    memberships; offices and accounts that exist already are left alone. The number of offices created."""
    User = get_user_model()
    rows = national_offices(stations, seed)
    existing = set(Office.objects.filter(code__startswith=PREFIX).values_list("code", flat=True))
    new = [row for row in rows if row[0] not in existing]
    ids, paths = {}, {}
    for code, pk, path in Office.objects.filter(code__startswith=PREFIX).values_list("code", "pk", "path"):
        ids[code], paths[code] = pk, path
    # Parents come before their children: created level by level, each level knowing its parents' keys.
    for level in _levels(new):
        for code, _name, _en, _kind, parent, _region in level:
            paths[code] = f"{paths[parent] if parent else '/'}{code}/"
        created = Office.objects.bulk_create(
            [Office(code=code, name=name, name_en=name_en, kind=kind, parent_id=ids.get(parent), region=region,
                    path=paths[code], is_sample=True, is_synthetic=True)
             for code, name, name_en, kind, parent, region in level],
            batch_size=CHUNK)
        if any(office.pk is None for office in created):  # SQLite before 3.35 returns no keys
            ids.update(Office.objects.filter(code__in=[o.code for o in created]).values_list("code", "pk"))
        else:
            ids.update((office.code, office.pk) for office in created)
    password_hash = make_password(password)  # one hash for every account: hashing 40,000 would take an hour
    have = set(User.objects.filter(username__startswith=PREFIX).values_list("username", flat=True))
    User.objects.bulk_create([User(username=code, password=password_hash, first_name=_account_name(name, kind))
                              for code, name, _en, kind, _p, _r in new if code not in have], batch_size=CHUNK)
    users = dict(User.objects.filter(username__in=[row[0] for row in new]).values_list("username", "pk"))
    Membership.objects.bulk_create(
        [Membership(user_id=users[code], office_id=ids[code], is_supervisor=True) for code, *_ in new],
        batch_size=CHUNK, ignore_conflicts=True)
    return len(new)


def _levels(rows):
    """`rows` grouped so that each group's parents are in earlier groups (or already stored)."""
    codes = {row[0] for row in rows}
    placed, levels = set(), []
    remaining = rows
    while remaining:
        level = [row for row in remaining if row[4] is None or row[4] not in codes or row[4] in placed]
        levels.append(level)
        placed.update(row[0] for row in level)
        remaining = [row for row in remaining if row[0] not in placed]
    return levels


def _account_name(name, kind):
    return name + ("联络员" if kind in LIAISON_KINDS else "管理员")
