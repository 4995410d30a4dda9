"""Starting a year: one county_annual_cycle instance per county that has stations."""
from engine import api
from engine.api import calendar
from engine.extensions import script_function
from engine.models import ProcessInstance
from workflows.models import Office, OfficeKind

PROCESS = "county_annual_cycle"


def business_key(year, county_code):
    return f"county-{year}-{county_code}"


@script_function()
def cycles_to_start(year):
    """The county cycles of `year` not started yet, as a timer start's startWith gives them: one dict per
    county that has stations, {"county", "year", "stations", "business_key"}.

    A county whose cycle of that year already exists (in any state) is left out, so the January start and
    a start by hand (startyear) never start a county twice.
    """
    if not calendar.is_year(year):
        raise ValueError(f"year must be a four-digit year, not {year!r}")
    stations = {}
    for code, county in Office.objects.filter(kind=OfficeKind.STATION, parent__kind=OfficeKind.COUNTY_BUREAU) \
            .order_by("code").values_list("code", "parent__code"):
        stations.setdefault(county, []).append(code)
    existing = set(ProcessInstance.objects.filter(
        business_key__in=[business_key(year, county) for county in stations], version__definition__key=PROCESS,
    ).values_list("business_key", flat=True))
    return [{"county": county, "year": year, "stations": codes, "business_key": business_key(year, county)}
            for county, codes in sorted(stations.items()) if business_key(year, county) not in existing]


def start_year(year, actor=None):
    """Start the county cycles of `year` not started yet (cycles_to_start) by hand; returns the instances."""
    started = []
    for cycle in cycles_to_start(year):
        key = cycle.pop("business_key")
        started.append(api.start(PROCESS, business_key=key, actor=actor, data=cycle).instance)
    return started
