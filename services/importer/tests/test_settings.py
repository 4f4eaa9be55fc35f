from services.importer.settings import ImportSettings


def test_each_setting_is_read_from_its_variable_in_any_case():
    settings = ImportSettings.from_environment({
        "IMPORT_DATABASE_URL": "postgresql://importer@db/loyalty", "points_addr": "points:50052",
        "Sftp_Password": "secret", "UNRELATED": "ignored", "PGPORT": "1"})
    assert settings.dsn == "postgresql://importer@db/loyalty"
    assert settings.points_addr == "points:50052"
    assert settings.sftp_password == "secret"
    assert settings.member_addr == "127.0.0.1:50051"  # unset: the default
    assert settings.s3_endpoint_url is None


def test_an_override_wins_and_no_database_url_means_the_local_platform():
    settings = ImportSettings.from_environment({"PGPORT": "6543", "TIER_ADDR": "tier:1"}, tier_addr="tier:2")
    assert settings.tier_addr == "tier:2"
    assert settings.dsn == "postgresql://loyalty_import@127.0.0.1:6543/loyalty"
