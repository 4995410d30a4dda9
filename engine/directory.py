"""The engine's view of the organisation: which lane roles exist and which office a task is for.

The engine knows nothing of offices; the domain supplies a directory (setting
ENGINE["DIRECTORY"]) that implements this interface.
"""
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string


class Directory:
    def roles(self) -> dict:
        """Known lane roles: {code: label}. A lane may name a role by code or label."""
        raise NotImplementedError

    def role_for_lane(self, lane_name):
        """The role code a lane's name stands for, or None when it names no known role."""
        if not lane_name:
            return None
        name = lane_name.strip()
        for code, label in self.roles().items():
            if name == code or name == label:
                return code
        return None

    def office_for(self, role, instance_data: dict) -> str:
        """The code of the concrete office that does `role`'s work in an instance with this data."""
        raise NotImplementedError

    def offices_of(self, user) -> list:
        """Codes of the offices whose tasks `user` may work on."""
        raise NotImplementedError

    def stands_in_for(self, user) -> list:
        """The users `user` stands in for now (a substitute during their leave): their tasks are the
        user's to do, under the user's own name on their behalf. None by default."""
        return []

    def mentioned(self, text) -> list:
        """Who `text` names as @someone: [{"kind": "user" or "office", "code", "label"}], each once. None by
        default."""
        return []

    def is_supervisor(self, user, office_code) -> bool:
        """Whether `user` may reassign work within the office."""
        raise NotImplementedError

    def is_process_owner(self, user) -> bool:
        """Whether `user` owns the process definitions: pins versions and migrates running instances."""
        raise NotImplementedError

    def tenant_for(self, instance_data: dict) -> str:
        """The tenant an instance started with this data belongs to: an opaque name whose own definition
        versions it starts on, if it has any (engine/versions.py). "" (shared versions only) by default."""
        return ""

    def tenant_of(self, user) -> str:
        """The tenant `user` acts for. Bound to one, a process owner deploys, pins and migrates for it alone, and
        sees the shared versions and its own. "" by default: not bound, the shared versions' owner, who sees
        every tenant's and may act for any."""
        return ""

    def tenants(self) -> dict:
        """The tenants there are, with what people call them: {tenant: label}. None by default."""
        return {}


@lru_cache(maxsize=1)
def get_directory() -> Directory:
    return import_string(settings.ENGINE["DIRECTORY"])()


def working_offices(user):
    """(office codes, usernames stood in for): whose tasks `user` may work on, their own offices' and those
    of the people they stand in for."""
    directory = get_directory()
    absent = directory.stands_in_for(user)
    offices = list(directory.offices_of(user))
    for person in absent:
        offices.extend(code for code in directory.offices_of(person) if code not in offices)
    return offices, [person.get_username() for person in absent]
