"""The accounts both servers start with (run with `manage.py shell`), with the address
records allauth keeps for accounts it created."""
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User

for name, mail, password, active in [
    ("bench", "bench@example.com", "correct horse", True),
    ("blocked", "blocked@example.com", "pw pw pw", False),
]:
    user = User.objects.create_user(name, mail, password, is_active=active)
    EmailAddress.objects.create(user=user, email=mail, primary=True, verified=False)
