import pytest
from cryptography.fernet import Fernet

# Fixed test keys: tests that need a rotation add or drop keys through the settings fixture.
TEST_KEY_A = Fernet.generate_key().decode()
TEST_KEY_B = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _credential_keys(settings):
    settings.CREDENTIAL_KEYS = [TEST_KEY_A]
