"""The audit's per-key verdicts, kept per key, are the patterns' own."""

from gateway.identity.audit import SECRET, TARGET, is_secret, is_target, scrub, targets

KEYS = ["program", "loyaltyNumber", "fromLoyaltyNumber", "memberId", "id", "reference", "externalReference", "code",
        "programCode", "email", "amount", "password", "apiKey", "api_key", "passcode", "totpCode", "cardId", "token",
        "refreshToken", "secretCode", "PAN", "identity", "codes", "emails", "ID", "Id"]


def test_each_verdict_is_the_patterns():
    for _ in range(2):  # computed, then kept
        for key in KEYS:
            assert is_secret(key) == bool(SECRET.search(key)), key
            assert is_target(key) == bool(TARGET.search(key) and not SECRET.search(key)), key


def test_an_entrys_arguments_and_targets():
    args = {"input": {"program": "p1", "loyaltyNumber": "E1", "reference": "r-1", "passcode": "1234",
                      "items": [{"code": "sku-1", "cardId": "c-9"}], "amount": "12.50"}}
    assert scrub(args) == {"input": {"program": "p1", "loyaltyNumber": "E1", "reference": "r-1",
                                     "passcode": "[redacted]", "items": [{"code": "sku-1", "cardId": "[redacted]"}],
                                     "amount": "12.50"}}
    assert targets(args, []) == ["loyaltyNumber=E1", "reference=r-1", "code=sku-1"]
