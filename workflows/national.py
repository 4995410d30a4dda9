"""A synthetic nation for load tests: provinces, prefectures, counties, stations, social organisations and
one account per office, in the proportions of the national programme (31 provinces, ~333 prefectures,
~2,800 counties, ~40,000 stations, ~1,400 organisations).

Every office is marked is_sample and is_synthetic. Division codes follow GB/T 2260's pattern (two digits
for a province, four for a prefecture, six for a county) but are not real, so codes carry a `syn-` prefix
and never meet Guizhou's real sample. Each province has its own civil-affairs department and finance
department (region = the province's code), so lanes resolve to the offices of the instance's province.
"""
import json
import random
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.core.management.color import no_style
from django.db.models import AutoField, F, Max

from engine import api
from engine.extensions import get_directory
from engine.models import AuditEvent, HumanTask, MessageSubscription, ProcessInstance, TaskState, Timer

from . import compliance
from .directory import forget_office_tree, office_tree
from .models import InstanceOffice, InstanceRoot, Membership, Office, OfficeKind
from .planning.models import AnnualPlan, Evaluation, ServiceAgreement
from .procurement.models import Challenge, Complaint, Lot, ProcurementProject
from .sample_data import LIAISON_KINDS
from .service.models import EmergencyResponse, ServiceReport, SocialWorker, StationDeployment
from .visibility import links_for, roots_for

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
# Five times the nation: the codes' two digits a level give room for it, and its offices and accounts are
# generated in minutes.
MAX_STATIONS = 200_000


@dataclass(frozen=True)
class Size:
    provinces: int
    prefectures: int
    counties: int
    stations: int
    social_orgs: int


def size_for(stations):
    if isinstance(stations, bool) or not isinstance(stations, int) or not 1 <= stations <= MAX_STATIONS:
        raise ValueError(f"a synthetic nation has 1 to {MAX_STATIONS:,} stations, not {stations!r}")
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
    if max(pref_shares) > 99 or max(county_shares) > 99:  # cannot be at MAX_STATIONS but by a freak of chance
        raise ValueError(f"seed {seed} deals more than 99 prefectures to a province or counties to a prefecture, "
                         "more than two digits of a code number")
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
    # Each province's civil-affairs department owns its own versions of the definitions.
    Membership.objects.bulk_create(
        [Membership(user_id=users[code], office_id=ids[code], is_supervisor=True,
                    is_process_owner=kind == K.PROVINCE_CIVIL_AFFAIRS) for code, _n, _en, kind, _p, _r in new],
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


# --history: a year of instances, cloned from a short simulation through the engine.
#
# The rows are the engine's own (ProcessInstance, HumanTask, Timer, MessageSubscription, AuditEvent),
# written in bulk: this is the one place a domain module writes engine rows itself, because stepping a
# million tasks through the engine would take days, and load tests need the rows exactly as the engine
# writes them (stored workflow state included, so the instances go on working). So a handful of stations
# are simulated through the engine (workflows.simulation, the year so far, rolled back afterwards) and
# their rows copied for every synthetic station: office codes and usernames mapped to the copy's offices,
# every UUID (instance, task, and inside the stored state) changed by a per-copy mask, times moved back
# by up to a week so the copies do not all tie.
TEMPLATE_STATIONS = 4
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ROW_MODELS = (HumanTask, Timer, MessageSubscription, AuditEvent)
# The lifecycle's records, each after those it refers to, with the path to the instance it is copied with:
# its own, or its parent's.
RECORD_MODELS = (
    (ProcurementProject, "process_instance"), (Lot, "project__process_instance"),
    (Challenge, "process_instance"), (Complaint, "process_instance"),
    (AnnualPlan, "process_instance"), (ServiceAgreement, "process_instance"), (Evaluation, "process_instance"),
    (StationDeployment, "process_instance"), (SocialWorker, "deployment__process_instance"),
    (ServiceReport, "deployment__process_instance"), (EmergencyResponse, "deployment__process_instance"))
RECORDS = "records"
SPREAD_DAYS = 7


@dataclass
class History:
    instances: int = 0
    tasks: int = 0
    open_tasks: int = 0
    audit: int = 0
    records: int = 0


def simulate_templates(seed):
    """The rows a simulation of this year so far leaves ({model: [row dicts]}), rolled back afterwards."""
    from engine.api import clock
    from workflows.planning import launch as county_cycle
    from workflows.simulation.actors import Actors
    from workflows.simulation.lifecycle import choose_counties, year_plan
    from workflows.simulation.runner import Simulation

    now = clock.now()
    year = clock.today_in_china().year
    rows = {}
    # Deployed for good: the copies run on these versions.
    api.deploy(*api.read_files(sorted((settings.BASE_DIR / "bpmn").glob("*.bpmn"))), note="national history",
               actor="system")
    try:
        with transaction.atomic():
            rng = random.Random(seed)
            actors = Actors(rng)
            api.skip_scheduled(county_cycle.PROCESS, now, reason="loaddemo --history")
            simulation = Simulation(year_plan(year, choose_counties(TEMPLATE_STATIONS, rng), actors), actors, now)
            try:
                outcome = simulation.run()
            finally:
                clock.release()
            rows[ProcessInstance] = list(outcome.instances.order_by("started_at").values())
            for model in ROW_MODELS:
                found = model.objects.filter(instance__in=outcome.instances)
                if model is AuditEvent:
                    found = found.filter(record_type="")  # the engine's rows; domain records are not copied
                rows[model] = list(found.order_by("pk").values())
            rows[RECORDS] = {}  # template instance id: [(model, row)], in RECORD_MODELS' order
            for model, instance in RECORD_MODELS:
                for row in model.objects.filter(**{f"{instance}__in": outcome.instances}).annotate(
                        of_instance=F(instance)).order_by("pk").values():
                    rows[RECORDS].setdefault(row.pop("of_instance"), []).append((model, row))
            raise _RollBack
    except _RollBack:
        pass
    return rows


class _RollBack(Exception):
    pass


def fill_history(seed=0):
    """Copy a simulated year onto every synthetic station, county and province; what was written."""
    if InstanceOffice.objects.filter(office__startswith=PREFIX).exists():
        # The copies' timers would fire inside the next simulation and their rows be copied again.
        raise ValueError("the synthetic nation has its history already: generate it into a new database")
    templates = simulate_templates(seed)
    forget_office_tree()  # the synthetic offices were bulk-created: no signal told the tree
    tree, rng, history = office_tree(), random.Random(seed), History()
    kinds, parents = tree["kinds"], tree["parents"]
    synthetic = set(Office.objects.filter(is_synthetic=True).values_list("code", flat=True))
    orgs = sorted(c for c in synthetic if kinds[c] == K.SOCIAL_ORG)
    # The simulation's bidders and winners are drawn from every organisation, synthetic ones too: each one
    # the year names is mapped to organisations of each copy's own, or every county would name the same.
    template_orgs = sorted(_named_orgs(templates, kinds) | {
        c for c, kind in kinds.items() if kind == K.SOCIAL_ORG and c not in synthetic})
    by_level = {"station": {}, "county": {}, "other": []}
    for row in templates[ProcessInstance]:
        data = row["data"]
        if data.get("station") in kinds:
            by_level["station"].setdefault(data["station"], []).append(row)
        elif data.get("county") in kinds:
            by_level["county"].setdefault(data["county"], []).append(row)
        else:
            by_level["other"].append(row)
    rows_of = {model: {} for model in ROW_MODELS}
    for model in ROW_MODELS:
        for row in templates[model]:
            rows_of[model].setdefault(row["instance_id"], []).append(row)
    template_counties = sorted({parents[s] for s in by_level["station"]} | set(by_level["county"]))
    provincial = {code for county in template_counties
                  for code in tree["provincial"].get(_above(county, parents), {}).values()}
    codes = sorted({*template_counties, *(parents[c] for c in template_counties), *provincial,
                    *by_level["station"], *template_orgs}, key=len, reverse=True)
    copier = _Copier(_Renaming(codes), rows_of, templates[RECORDS], history)

    stations_of = {}
    for code in sorted(synthetic):
        if kinds[code] == K.STATION:
            stations_of.setdefault(parents[code], []).append(code)
    province_of = {county: _above(county, parents) for county in stations_of}
    counties = sorted(stations_of, key=lambda c: (province_of[c], c))
    counties_of = {}
    for county in counties:
        counties_of.setdefault(province_of[county], []).append(county)
    province = None
    for number, county in enumerate(counties):
        if province_of[county] != province:  # the province's own instances come before its counties'
            province = province_of[county]
            mapping = _province_mapping(template_counties[0], province, tree)
            # Its procurement's lots name counties: the province's own.
            mapping.update(_counties_mapping(template_counties, counties_of[province], parents))
            mapping.update(_orgs_for(template_orgs, orgs, rng))
            for row in by_level["other"]:
                copier.copy(row, mapping, rng)
        template = template_counties[number % len(template_counties)]
        mapping = {template: county, parents[template]: parents[county],
                   **_province_mapping(template, province, tree)}
        mapping.update(_orgs_for(template_orgs, orgs, rng))
        template_stations = sorted(s for s in by_level["station"] if parents[s] == template)
        mapping.update(zip(template_stations, stations_of[county]))
        for row in by_level["county"].get(template, []):
            copier.copy(row, mapping, rng)
        for i, station in enumerate(stations_of[county]):
            if template_stations:
                chosen = template_stations[i % len(template_stations)]
                for row in by_level["station"][chosen]:
                    copier.copy(row, {**mapping, chosen: station}, rng)
        copier.flush_if_full()
    copier.flush()
    with connection.cursor() as cursor:  # the records were written with ids of their own
        for statement in connection.ops.sequence_reset_sql(no_style(), [model for model, _i in RECORD_MODELS]):
            cursor.execute(statement)
    compliance.recount()  # the copies' completed tasks, counted as their steps would have
    return history


def _named_orgs(templates, kinds):
    """The organisations' codes the template rows name, in their data or as a record's office."""
    codes = {pk: code for pk, code in Office.objects.filter(kind=K.SOCIAL_ORG).values_list("pk", "code")}
    found = set()

    def walk(value):
        if isinstance(value, str):
            if kinds.get(value) == K.SOCIAL_ORG:
                found.add(value)
        elif isinstance(value, dict):
            for part in value.values():
                walk(part)
        elif isinstance(value, list):
            for part in value:
                walk(part)

    for model, rows in templates.items():
        if model is not RECORDS:
            walk(rows)
    for records in templates[RECORDS].values():
        for model, row in records:
            walk(row)
            found.update(codes[row[field.attname]] for field in model._meta.concrete_fields
                         if field.is_relation and field.related_model is Office and row[field.attname] in codes)
    return found


def _orgs_for(template_orgs, orgs, rng):
    """Each template organisation to a synthetic one: different ones while there are enough."""
    chosen = rng.sample(orgs, len(template_orgs)) if len(orgs) >= len(template_orgs) else \
        rng.choices(orgs, k=len(template_orgs))
    return dict(zip(template_orgs, chosen))


def _counties_mapping(template_counties, counties, parents):
    """The template counties, with their prefectures, to a province's counties (in turn if it has fewer)."""
    mapping = {}
    for number, template in enumerate(template_counties):
        county = counties[number % len(counties)]
        mapping[template] = county
        mapping.setdefault(parents[template], parents[county])
    return mapping


class _Renaming:
    """The template offices' codes and names in copied text, as those of the offices they are mapped to."""

    def __init__(self, codes):
        self.names = dict(Office.objects.values_list("code", "name"))
        self.code_of = {self.names[code]: code for code in codes if self.names.get(code)}
        # One pass over the text: codes as whole tokens, names (the longest first, so that a bureau's name is
        # taken whole rather than the name of an office it contains) wherever they stand.
        names = "|".join(map(re.escape, sorted(self.code_of, key=len, reverse=True))) or "(?!)"
        alternatives = "|".join(map(re.escape, codes))
        self.pattern = re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])|(" + names + ")")
        # A business key joins its parts with hyphens (station-2026-522302-dewu) and holds no UUID whose groups
        # a code could match: there a code may stand between hyphens.
        self.key_pattern = re.compile(r"(?<!\w)(" + alternatives + r")(?!\w)")

    def sub(self, value, mapping):
        def renamed(match):
            code, name = match.groups()
            if code:
                return mapping.get(code, code)
            target = mapping.get(self.code_of[name])
            return self.names.get(target, name)

        return self.pattern.sub(renamed, value)

    def key(self, value, mapping, tenant):
        """A copy's business key: the template's, naming the offices it was copied to; one that names no office
        (a province's procurement, its challenges) gets the province's tenant, as a province's own key does."""
        renamed = self.key_pattern.sub(lambda match: mapping.get(match.group(1), match.group(1)), value)
        return f"{renamed}-{tenant}" if value and renamed == value and tenant else renamed


def _above(code, parents):
    """The top of the tree above `code`: its province's civil-affairs department."""
    while parents.get(code) is not None:
        code = parents[code]
    return code


def _province_mapping(template_county, province, tree):
    """The template's provincial offices (both departments) to the province's."""
    source = tree["provincial"].get(_above(template_county, tree["parents"]), {})
    target = tree["provincial"].get(province, {})
    return {source[kind]: target[kind] for kind in source if kind in target}


class _Copier:
    """Copies of template instances with their rows, written in chunks."""

    def __init__(self, renaming, rows_of, records_of, history):
        self.renaming, self.rows_of, self.records_of, self.history = renaming, rows_of, records_of, history
        self.tenant_for = get_directory().tenant_for  # a copy belongs to the province it was copied to
        self.pending = {model: [] for model in (ProcessInstance, *ROW_MODELS, InstanceOffice, InstanceRoot,
                                                *(model for model, _i in RECORD_MODELS))}
        self.masks = {}  # template instance id: the mask of its latest copy, which a child's copy names
        self.office_codes = dict(Office.objects.values_list("pk", "code"))
        self.office_ids = {code: pk for pk, code in self.office_codes.items()}
        # The ids the records are written with, and each template record's latest copy, which the records
        # copied after it refer to.
        self.next_id = {model: (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
                        for model, _i in RECORD_MODELS}
        self.record_ids = {}
        self.lot_counties = {}  # a copied lot's county: an agreement refers only to its own county's lot

    def copy(self, row, mapping, rng):
        mask = self.masks[row["id"]] = rng.getrandbits(128)
        back = timedelta(days=rng.uniform(0, SPREAD_DAYS))

        def ids(value):
            return uuid.UUID(int=value.int ^ mask) if isinstance(value, uuid.UUID) else value

        def masked(value):
            return UUID.sub(lambda m: str(uuid.UUID(int=uuid.UUID(m.group()).int ^ mask)), value)

        def text(value):
            return masked(self.renaming.sub(value, mapping))

        def jsonish(value):
            return json.loads(text(json.dumps(value, ensure_ascii=False)))

        def shaped(source):
            out = {}
            for name, value in source.items():
                if isinstance(value, datetime):
                    value = value - back
                elif isinstance(value, uuid.UUID):
                    value = ids(value)
                elif isinstance(value, str):
                    value = mapping.get(value, value) if name != "serialized" else text(value)
                elif isinstance(value, (dict, list)):
                    value = jsonish(value)
                out[name] = value
            return out

        instance = shaped(row)
        instance["tenant"] = self.tenant_for(instance["data"])
        if row["parent_id"] is not None:
            instance["parent_id"] = uuid.UUID(int=row["parent_id"].int ^ self.masks[row["parent_id"]])
        instance["business_key"] = masked(self.renaming.key(row["business_key"], mapping, instance["tenant"]))
        self.pending[ProcessInstance].append(ProcessInstance(**instance))
        self.history.instances += 1
        for model in ROW_MODELS:
            for source in self.rows_of[model].get(row["id"], ()):
                copied = shaped(source)
                if model is not HumanTask:
                    copied.pop("id")  # a number the database gives
                self.pending[model].append(model(**copied))
        self.pending[InstanceOffice] += links_for(instance["id"], instance["data"])
        self.pending[InstanceRoot] += roots_for(instance["id"], instance["started_at"], instance["data"])
        for model, source in self.records_of.get(row["id"], ()):
            record = self.record(model, source, mapping, back, instance["tenant"])
            if record is not None:
                self.pending[model].append(record)

    def record(self, model, source, mapping, back, tenant):
        """A copy of a lifecycle record with the offices, instances and records it names mapped to their copies,
        its moments moved as its instance's; None when a record it needs was not copied."""
        copied = {}
        for field in model._meta.concrete_fields:
            value = source[field.attname]
            if field.primary_key:
                value = self.next_id[model]
            elif field.is_relation and value is not None:
                target = field.related_model
                if target is Office:
                    code = self.office_codes[value]
                    value = self.office_ids[mapping.get(code, code)]
                elif target is ProcessInstance:
                    value = uuid.UUID(int=value.int ^ self.masks[value]) if value in self.masks else None
                else:
                    value = self.record_ids.get((target, value))
                if value is None and not field.null:
                    return None
            elif isinstance(value, datetime):
                value -= back
            elif isinstance(value, date):
                value -= timedelta(days=back.days)
            elif isinstance(value, str):
                value = self.renaming.key(value, mapping, tenant) if field.unique else self.renaming.sub(value, mapping)
            elif isinstance(value, (dict, list)):
                value = json.loads(self.renaming.sub(json.dumps(value, ensure_ascii=False), mapping))
            copied[field.attname] = value
        if model is Lot:
            self.lot_counties[copied["id"]] = copied["county_id"]
        elif model is ServiceAgreement and self.lot_counties.get(copied["lot_id"]) != copied["county_id"]:
            copied["lot_id"] = None  # the province's lots were copied for other counties than this one
        self.record_ids[model, source["id"]] = self.next_id[model]
        self.next_id[model] += 1
        return model(**copied)

    def flush_if_full(self):
        if len(self.pending[ProcessInstance]) >= CHUNK:
            self.flush()

    @transaction.atomic
    def flush(self):
        for model, objs in self.pending.items():
            _write(model, objs)
            if model is HumanTask:
                self.history.tasks += len(objs)
                self.history.open_tasks += sum(1 for obj in objs if obj.state in TaskState.ACTIVE)
            elif model is AuditEvent:
                self.history.audit += len(objs)
            elif model not in (ProcessInstance, *ROW_MODELS, InstanceOffice, InstanceRoot):
                self.history.records += len(objs)
            objs.clear()


def _write(model, objs):
    """Insert `objs`: on PostgreSQL by COPY, as bulk_create's arrays cost minutes per million text values."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=CHUNK)
        return
    # A number the database gives, unless the rows bring their own (the records).
    numbered = objs and objs[0].pk is not None
    fields = [f for f in model._meta.concrete_fields
              if not (f.primary_key and isinstance(f, AutoField) and not numbered)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields])
