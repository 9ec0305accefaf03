"""Create the local admin user, and the demo team, once and print their logins (development only)."""

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

# The demo team: one account per editorial role, so the review workflow can be tried at once
# (an editor submits, a reviewer publishes; a city editor works on Seoul's cases only).
DEMO_TEAM = [
    ("editor", "Editors", None),
    ("reviewer", "Reviewers", None),
    ("seoul-editor", "City editors", "seoul"),
]


class Command(BaseCommand):
    help = (
        "Create an 'admin' superuser with a random password kept in .dev-admin-password, and print it; "
        "with --demo-team also an editor, a reviewer and a city editor (passwords in .dev-team-passwords)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="where the site is served")
        parser.add_argument("--demo-team", action="store_true", help="also the demo editorial accounts")

    def handle(self, *args, username, url, demo_team, **options):
        if not settings.DEBUG:
            raise CommandError(
                "ensure_admin creates accounts with printed passwords: development only (DEBUG)."
            )
        admin_url = url.rstrip("/") + "/admin/"
        password_file = Path(settings.BASE_DIR) / ".dev-admin-password"
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None or not password_file.exists():
            password = secrets.token_urlsafe(12)
            if user is None:
                user = user_model.objects.create_superuser(username, f"{username}@example.org", password)
            else:
                user.set_password(password)
                user.save()
            password_file.write_text(password)
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        self.stdout.write(f"Admin login: {username} / {password}  ({admin_url})")
        if demo_team:
            for name, password in self.demo_team().items():
                self.stdout.write(f"Demo {name} login: {name} / {password}")

    def demo_team(self) -> dict[str, str]:
        """The demo accounts and their passwords (created once; kept in .dev-team-passwords)."""
        from casestudies.models import City
        from editorial.models import CityEditor

        team_file = Path(settings.BASE_DIR) / ".dev-team-passwords"
        passwords = json.loads(team_file.read_text()) if team_file.exists() else {}
        user_model = get_user_model()
        for name, group_name, city_slug in DEMO_TEAM:
            user = user_model.objects.filter(username=name).first()
            if user is None or name not in passwords:
                passwords[name] = secrets.token_urlsafe(12)
                if user is None:
                    user = user_model.objects.create_user(name, f"{name}@example.org", passwords[name])
                else:
                    user.set_password(passwords[name])
                user.is_active = True
                user.save()
            group = Group.objects.filter(name=group_name).first()
            if group is not None:
                user.groups.add(group)
            city = City.objects.filter(slug=city_slug).first() if city_slug else None
            if city is not None:
                CityEditor.objects.update_or_create(user=user, defaults={"city": city})
        team_file.write_text(json.dumps(passwords, indent=2))
        team_file.chmod(0o600)
        return {name: passwords[name] for name, _group, _city in DEMO_TEAM}
