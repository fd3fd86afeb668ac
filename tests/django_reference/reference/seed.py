"""The accounts both servers start with (run with `manage.py shell`), with the address
records allauth keeps for accounts it created. With `REFERENCE_TOTP_SECRET` (base32), also an
account `totp` whose second factor is TOTP with that secret (and recovery codes), as latch's
side enrolled it."""
import os

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.utils import encrypt
from django.contrib.auth.models import User

for name, mail, password, active in [
    ("bench", "bench@example.com", "correct horse", True),
    ("blocked", "blocked@example.com", "pw pw pw", False),
]:
    user = User.objects.create_user(name, mail, password, is_active=active)
    EmailAddress.objects.create(user=user, email=mail, primary=True, verified=False)

secret = os.environ.get("REFERENCE_TOTP_SECRET")
if secret:
    user = User.objects.create_user("totp", "totp@example.com", "correct horse")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)}
    )
    # latch gives recovery codes with every TOTP enrolment, as allauth's own enrolment does.
    RecoveryCodes.activate(user)
