"""python manage.py bpmn validate|layout|deadlines|deploy|list|start|tasks|complete|send|instances|fire-timers|
signal|versions|diff|pin|unpin|migrate"""
import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from django.db import DatabaseError
from django.db.models import Count

from engine import api
from engine.api import clock
from engine.errors import EngineError, InvalidDefinition, InvalidInput
from engine.models import AuditEvent, DefinitionVersion, HumanTask, ProcessInstance, TaskState


def _json_arg(text, what):
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise CommandError(f"--{what} is not valid JSON: {err.msg} at column {err.colno}") from None


def _local(dt):
    return dt.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M") if dt else "-"


def _local_iso(text):
    return _local(datetime.fromisoformat(text)) if text else "-"


TENANT_HELP = "as this tenant's own versions; without it, as shared versions"


class Command(BaseCommand):
    help = "Validate, deploy and run BPMN processes."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        # --json may also follow the action (bpmn list --json).
        common = argparse.ArgumentParser(add_help=False)
        common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
        sub = parser.add_subparsers(dest="action", required=True)
        add_parser = sub.add_parser
        sub.add_parser = lambda *a, **kw: add_parser(*a, parents=[common], **kw)
        p = sub.add_parser("validate", help="check BPMN, DMN and form files; exit 1 with file:line: message")
        p.add_argument("files", nargs="+")
        p = sub.add_parser("layout", help="add a drawn diagram (BPMN DI) to processes that have none")
        p.add_argument("files", nargs="+")
        p.add_argument("--write", action="store_true", help="rewrite the files instead of printing them")
        p = sub.add_parser("deadlines", help="turn hand-written due dates (add_workdays(field, n)) into deadlines "
                           "that the task's overdue timers follow")
        p.add_argument("files", nargs="+")
        p.add_argument("--write", action="store_true", help="rewrite the files instead of printing them")
        p = sub.add_parser("deploy", help="deploy files as new versions of their processes")
        p.add_argument("files", nargs="+")
        p.add_argument("--note", default="")
        p.add_argument("--tenant", default="", help=TENANT_HELP)
        sub.add_parser("list", help="process definitions and their versions")
        p = sub.add_parser("start", help="start an instance")
        p.add_argument("key")
        p.add_argument("--business-key", default="")
        p.add_argument("--data", help="initial data, a JSON object")
        p = sub.add_parser("tasks", help="open human tasks")
        p.add_argument("--office", help="only tasks of this office code")
        p = sub.add_parser("complete", help="complete a human task")
        p.add_argument("task_id")
        p.add_argument("--data", help="form data, a JSON object")
        p = sub.add_parser("send", help="send a message")
        p.add_argument("message")
        p.add_argument("--correlation", help="correlation properties, a JSON object")
        p.add_argument("--data", help="payload, a JSON object")
        p = sub.add_parser("signal", help="throw a signal to every instance waiting for it now")
        p.add_argument("signal")
        p.add_argument("--data", help="payload, a JSON object")
        p.add_argument("--tenant", help="only this tenant's instances catch it, and it starts processes for it alone "
                                        "(\"\": the instances of no tenant); without it, every tenant's")
        p = sub.add_parser("instances", help="process instances")
        p.add_argument("--state")
        sub.add_parser("fire-timers", help="fire due timers now (what the dispatcher does)")
        p = sub.add_parser("versions", help="a definition's versions and the instances on each")
        p.add_argument("key")
        p.add_argument("--tenant", default="", help="which version is current and pinned for this tenant")
        p = sub.add_parser("diff", help="elements added, removed and changed between two versions")
        p.add_argument("key")
        p.add_argument("from_version", type=int)
        p.add_argument("to_version", type=int)
        p = sub.add_parser("pin", help="start new instances on this version instead of the latest")
        p.add_argument("key")
        p.add_argument("version", type=int)
        p.add_argument("--tenant", default="", help="for this tenant's instances; without it, the shared pin")
        p = sub.add_parser("unpin", help="start new instances on the latest version again")
        p.add_argument("key")
        p.add_argument("--tenant", default="", help="for this tenant's instances; without it, the shared pin")
        p = sub.add_parser("migrate", help="move running instances to another version (only the safe ones)")
        p.add_argument("key")
        p.add_argument("--to", type=int, required=True, dest="to_version")
        p.add_argument("--from", type=int, dest="from_version", help="only instances on this version")
        p.add_argument("--instance", action="append", dest="instances", help="only this instance (repeatable)")
        p.add_argument("--dry-run", action="store_true", help="show what would happen; change nothing")
        p.add_argument("--tenant", help="only this tenant's instances (a tenant's own target: always its own)")

    def handle(self, *args, **options):
        self.as_json = options["json"]
        try:
            getattr(self, "do_" + options["action"].replace("-", "_"))(options)
        except InvalidDefinition as err:
            self._problems(err.problems)
            sys.exit(1)
        except InvalidInput as err:
            if self.as_json:
                self.out({"error": str(err), "fields": err.errors})
            else:
                for field, message in err.errors.items():
                    self.stderr.write(f"{field}: {message}")
            sys.exit(1)
        except EngineError as err:
            raise CommandError(str(err)) from None
        except (OSError, UnicodeDecodeError) as err:
            raise CommandError(str(err)) from None
        except DatabaseError as err:
            raise CommandError(f"database error: {err} (has `manage.py migrate` been run?)") from None

    def out(self, value):
        self.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str))

    def _problems(self, problems):
        if self.as_json:
            self.out({"valid": False, "problems": [p.as_dict() for p in problems]})
        else:
            for problem in problems:
                self.stdout.write(str(problem))

    def do_validate(self, options):
        bpmn, forms = api.read_files(options["files"])
        warnings = api.lint(bpmn)
        try:
            processes = api.validate(bpmn, forms)
        except InvalidDefinition as err:
            raise InvalidDefinition([*err.problems, *warnings]) from None
        if self.as_json:
            self.out({"valid": True, "processes": processes, "problems": [w.as_dict() for w in warnings]})
        else:
            for warning in warnings:
                self.stdout.write(str(warning))
            self.stdout.write(f"valid: {', '.join(processes)}")

    def do_layout(self, options):
        for name in options["files"]:
            path = Path(name)
            content = path.read_bytes()
            laid_out = api.layout_source(content, path.name)
            if not options["write"]:
                self.stdout.write(laid_out.decode("utf-8"), ending="")
            elif laid_out == content:
                self.stdout.write(f"unchanged: {name} already has a diagram for every process")
            else:
                path.write_bytes(laid_out)
                self.stdout.write(f"laid out {name}")

    def do_deadlines(self, options):
        for name in options["files"]:
            path = Path(name)
            converted, tasks = api.convert_deadlines(path.read_bytes(), path.name)
            if not options["write"]:
                self.stdout.write(converted.decode("utf-8"), ending="")
            elif not tasks:
                self.stdout.write(f"unchanged: {name} has no hand-written due date of a plain period")
            else:
                path.write_bytes(converted)
                self.stdout.write(f"{name}: deadlines for {', '.join(tasks)}")

    def do_deploy(self, options):
        bpmn, forms = api.read_files(options["files"])
        result = api.deploy(bpmn, forms, note=options["note"], tenant=options["tenant"])
        if self.as_json:
            self.out({"created": [{"key": v.definition.key, "version": v.number, "tenant": v.tenant}
                                  for v in result.created],
                      "unchanged": [{"key": v.definition.key, "version": v.number, "tenant": v.tenant}
                                    for v in result.unchanged]})
            return
        for v in result.created:
            self.stdout.write(f"deployed {v.definition.key} version {v.number}"
                              + (f" for tenant {v.tenant}" if v.tenant else ""))
        for v in result.unchanged:
            self.stdout.write(f"no change: {v.definition.key} is already version {v.number} with this content")

    def do_list(self, options):
        versions = DefinitionVersion.objects.select_related("definition").annotate(
            running=Count("instances")).order_by("definition__key", "number")
        rows = [{"key": v.definition.key, "version": v.number, "tenant": v.tenant, "name": v.name,
                 "deployed_by": v.deployed_by,
                 "deployed_at": v.deployed_at.isoformat(), "note": v.note, "instances": v.running}
                for v in versions]
        if self.as_json:
            self.out(rows)
            return
        if not rows:
            self.stdout.write("no process definitions deployed")
        for r, v in zip(rows, versions):
            self.stdout.write(f"{r['key']:<30} v{r['version']:<4} {r['tenant'] or 'shared':<8} {r['name']:<24} "
                              f"{r['deployed_by']:<12} "
                              f"{_local(v.deployed_at)}  {r['instances']} instances  {r['note']}")

    def do_start(self, options):
        instance = api.start(options["key"], options["business_key"], _json_arg(options["data"], "data")).instance
        self._instance(instance)

    def _instance(self, instance):
        instance.refresh_from_db()
        info = {"id": str(instance.id), "key": instance.version.definition.key, "version": instance.version.number,
                "business_key": instance.business_key, "state": instance.state,
                "waiting_at": instance.current_elements, "error": instance.error or None}
        if self.as_json:
            self.out(info)
        else:
            self.stdout.write(f"instance {info['id']} of {info['key']} v{info['version']}: {info['state']}"
                              + (f", at {', '.join(info['waiting_at'])}" if info["waiting_at"] else "")
                              + (f"\nerror at {instance.error_element}: {instance.error}" if instance.error else ""))

    def do_tasks(self, options):
        rows = HumanTask.objects.filter(state__in=TaskState.ACTIVE).select_related("instance__version__definition")
        if options["office"]:
            rows = rows.filter(office=options["office"])
        data = [{"id": str(t.id), "name": t.name, "office": t.office, "assignee": t.assignee, "state": t.state,
                 "due_at": t.due_at.isoformat() if t.due_at else None, "overdue": t.is_overdue,
                 "process": t.instance.version.definition.key, "business_key": t.instance.business_key,
                 "form": t.form_id} for t in rows]
        if self.as_json:
            self.out(data)
            return
        if not data:
            self.stdout.write("no open tasks")
        for t, row in zip(data, rows):
            late = "  OVERDUE" if t["overdue"] else ""
            self.stdout.write(f"{t['id']}  {t['name']:<20} {t['office']:<12} due {_local(row.due_at)}{late}  "
                              f"{t['process']} {t['business_key']}")

    def do_complete(self, options):
        result = api.complete_task(options["task_id"], _json_arg(options["data"], "data"))
        self._instance(result.instance)

    def do_send(self, options):
        message = api.send_message(options["message"], _json_arg(options["correlation"], "correlation"),
                                   _json_arg(options["data"], "data"))
        message.refresh_from_db()
        if self.as_json:
            self.out({"id": str(message.id), "state": message.state,
                      "delivered_to": str(message.delivered_to_id) if message.delivered_to_id else None})
        elif message.delivered_to_id:
            self.stdout.write(f"message {message.name} delivered to instance {message.delivered_to_id}")
        else:
            self.stdout.write(f"message {message.name} stored; it will be delivered when an instance waits for it")

    def do_signal(self, options):
        tenant = options["tenant"]
        if tenant and tenant not in api.tenants():
            raise CommandError(f"--tenant: there is no tenant {tenant!r} (known: {', '.join(sorted(api.tenants()))})")
        signal = api.send_signal(options["signal"], _json_arg(options["data"], "data"), tenant=tenant)
        caught = AuditEvent.objects.filter(action="signal.received", data__signal=str(signal.id)).count()
        if self.as_json:
            self.out({"id": str(signal.id), "tenant": signal.tenant, "caught_by": caught})
        else:
            self.stdout.write(f"signal {signal.name} reached {caught} instance(s)")

    def do_instances(self, options):
        rows = ProcessInstance.objects.select_related("version__definition")
        if options["state"]:
            rows = rows.filter(state=options["state"])
        data = [{"id": str(i.id), "key": i.version.definition.key, "version": i.version.number,
                 "business_key": i.business_key, "state": i.state, "waiting_at": i.current_elements,
                 "started_at": i.started_at.isoformat()} for i in rows]
        if self.as_json:
            self.out(data)
            return
        for d in data:
            self.stdout.write(f"{d['id']}  {d['key']} v{d['version']}  {d['business_key']:<16} {d['state']:<10} "
                              f"{', '.join(d['waiting_at'])}")

    def do_fire_timers(self, options):
        result = api.dispatch_due_timers()
        self.out(result) if self.as_json else self.stdout.write(
            f"advanced {result['instances']} instances, retried {result['messages']} messages")

    def do_versions(self, options):
        history = api.version_history(options["key"], tenant=options["tenant"])
        if self.as_json:
            self.out(history)
            return
        for v in history:
            marks = " ".join(m for m, on in (("current", v["is_current"]), ("pinned", v["is_pinned"])) if on)
            counts = ", ".join(f"{state} {n}" for state, n in v["instances"].items() if state != "total") or "none"
            whose = f"{v['tenant']} {v['tenant_label']}" if v["tenant"] else "shared"
            self.stdout.write(f"v{v['number']:<4} {whose}  {_local(v['deployed_at'])}  {v['deployed_by']:<12} "
                              f"{v['content_hash'][:12]}  instances: {counts}  {marks}  {v['note']}")

    def do_diff(self, options):
        diff = api.compare_versions(options["key"], options["from_version"], options["to_version"])
        if self.as_json:
            self.out(diff)
            return
        for mark, entries in (("+", diff["added"]), ("-", diff["removed"])):
            for e in entries:
                self.stdout.write(f"{mark} {e['id']} ({e['type']}) {e['name']}")
        for e in diff["changed"]:
            self.stdout.write(f"~ {e['id']} ({e['type']}) {e['name']}")
            for what, change in e["changes"].items():
                self.stdout.write(f"    {what}: {change['from']} -> {change['to']}")
        for kind, ids in diff["forms"].items():
            if ids:
                self.stdout.write(f"forms {kind}: {', '.join(ids)}")
        if not (diff["added"] or diff["removed"] or diff["changed"] or any(diff["forms"].values())):
            self.stdout.write("no differences")

    def do_pin(self, options):
        version = api.pin_version(options["key"], options["version"], tenant=options["tenant"])
        whose = f" of tenant {options['tenant']}" if options["tenant"] else ""
        self.out({"key": options["key"], "pinned": version.number, "tenant": options["tenant"]}) if self.as_json \
            else self.stdout.write(f"new instances{whose} of {options['key']} start on version {version.number}")

    def do_unpin(self, options):
        api.unpin_version(options["key"], tenant=options["tenant"])
        whose = f" of tenant {options['tenant']}" if options["tenant"] else ""
        self.out({"key": options["key"], "pinned": None, "tenant": options["tenant"]}) if self.as_json \
            else self.stdout.write(f"new instances{whose} of {options['key']} start on the latest version")

    def do_migrate(self, options):
        selection = {"from_number": options["from_version"], "instances": options["instances"],
                     "tenant": options["tenant"]}
        if options["dry_run"]:
            plans = api.preview_migration(options["key"], options["to_version"], **selection)
            if self.as_json:
                self.out(plans)
                return
            for plan in plans:
                self._plan(plan)
            if not plans:
                self.stdout.write("no instances to migrate")
            return
        job = api.create_migration_job(options["key"], options["to_version"], **selection)
        api.run_migration_job(job.pk)
        status = api.job_status(job.pk)
        if self.as_json:
            self.out(status)
            return
        for item in status["items"]:
            reasons = "; ".join(r["message"] for r in item["reasons"])
            self.stdout.write(f"{item['instance']}  {item['business_key']:<16} {item['state']}"
                              + (f": {reasons}" if reasons else ""))
        self.stdout.write(f"migrated {status['migrated']}, skipped {status['skipped']}, failed {status['failed']}")

    def _plan(self, plan):
        head = f"{plan['instance']}  {plan['business_key']:<16} v{plan['from_version']} -> v{plan['to_version']}"
        if not plan["safe"]:
            reasons = [r["message"] for r in plan["reasons"]] + ([plan["error"]] if plan["error"] else [])
            self.stdout.write(f"{head}  refused: {'; '.join(reasons)}")
            return
        self.stdout.write(f"{head}  safe: kept {len(plan['kept'])}, reset {len(plan['reset'])}, "
                          f"removed {len(plan['removed'])}, added {len(plan['added'])}")
        for timer in plan["timers"]:
            self.stdout.write(f"    timer {timer['element']}: {_local_iso(timer['from'])} -> {_local_iso(timer['to'])}")
        for task in plan["tasks"]:
            self.stdout.write(f"    task {task['element']} due: {_local_iso(task['from'])} -> {_local_iso(task['to'])}")
