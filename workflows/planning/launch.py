"""Starting a year: one county_annual_cycle instance per county that has stations."""
from engine import api
from engine.models import ProcessInstance
from workflows.models import Office, OfficeKind

PROCESS = "county_annual_cycle"


def business_key(year, county_code):
    return f"county-{year}-{county_code}"


def start_year(year, actor=None):
    """Start the county cycles of `year`; returns the instances started.

    A county whose cycle of that year already exists (in any state) is left alone,
    so running it again after adding stations starts only the new counties.
    """
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValueError(f"year must be a four-digit year, not {year!r}")
    stations = {}
    for code, county in Office.objects.filter(kind=OfficeKind.STATION, parent__kind=OfficeKind.COUNTY_BUREAU) \
            .order_by("code").values_list("code", "parent__code"):
        stations.setdefault(county, []).append(code)
    existing = set(ProcessInstance.objects.filter(
        business_key__in=[business_key(year, county) for county in stations], version__definition__key=PROCESS,
    ).values_list("business_key", flat=True))
    started = []
    for county, codes in sorted(stations.items()):
        key = business_key(year, county)
        if key in existing:
            continue
        started.append(api.start(PROCESS, business_key=key, actor=actor,
                                 data={"county": county, "year": year, "stations": codes}).instance)
    return started
