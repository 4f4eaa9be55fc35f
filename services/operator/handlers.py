"""The kopf handlers for LoyaltyProgram, named <kind>_<event>; the work is in reconcile().

create/update -> reconcile: ProvisionProgram on the five services (with the program's id, so a
retry or a spec change updates in place), the API-keys Secret (adopted), the AuthorizationPolicy
when the mesh is on (adopted), then status Ready. delete (behind the finalizer) archives the
program in every service; ledgers are never touched.
Transient failures raise kopf.TemporaryError (retried after RETRY_DELAY_SECONDS); invalid specs
raise kopf.PermanentError with phase Failed and a condition naming the problem.
"""

import logging

import kopf

from loyalty.common.v1 import program_pb2
from services.common.errors import ErrorCode
from services.common.settings import load_settings
from services.operator import kube, manifests
from services.operator.kube import KubeClient, KubeError
from services.operator.manifests import GROUP, PLURAL, VERSION
from services.operator.provisioning import FOLLOWERS, Platform, ServiceFailed
from services.operator.settings import OperatorConfig
from services.operator.status import Phase, condition, merge_conditions, transition

FINALIZER = f"{GROUP}/archive-program"
# Refusals that a retry cannot fix: the spec itself is wrong.
PERMANENT = {
    ErrorCode.INVALID_INPUT: "InvalidSpec",
    ErrorCode.DUPLICATE_PROGRAM: "DuplicateProgram",
    ErrorCode.PROGRAM_ARCHIVED: "ProgramArchived",
    ErrorCode.FORBIDDEN: "Forbidden",
}
IMMUTABLE = ("code", "currency")


# --------------------------------------------------------------------------- operator lifecycle


@kopf.on.login()
def operator_login(settings: kopf.OperatorSettings, **_) -> kopf.ConnectionInfo | None:
    return kube.login(settings)


@kopf.on.startup()
async def operator_startup(settings: kopf.OperatorSettings, memo: kopf.Memo, logger: logging.Logger, **_) -> None:
    config = memo.get("config") or load_settings(OperatorConfig)
    memo["config"] = config
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration")
    info = kube.login(settings)
    if info is None:
        raise kopf.PermanentError("no Kubernetes credentials: not in a pod and no KUBECONFIG")
    memo["kube"] = KubeClient(info)
    memo["platform"] = Platform.connect(config)
    logger.info("operator ready; mesh %s", "on" if config.mesh_enabled else "off")


@kopf.on.cleanup()
async def operator_cleanup(memo: kopf.Memo, **_) -> None:
    if "platform" in memo:
        await memo["platform"].close()
    if "kube" in memo:
        await memo["kube"].close()


# --------------------------------------------------------------------------- LoyaltyProgram


@kopf.on.create(GROUP, VERSION, PLURAL)
async def loyaltyprogram_create(body, spec, meta, status, patch, memo, logger, **_) -> None:
    await reconcile(body=body, spec=spec, meta=meta, status=status, patch=patch, memo=memo, logger=logger)


@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def loyaltyprogram_update(body, old, new, spec, meta, status, patch, memo, logger, **_) -> None:
    """A spec change: code and currency are fixed once the program exists; the rest updates in place."""
    program_id = status.get("programId")
    if program_id:
        try:
            existing = await memo["platform"].find((old or {}).get("code") or spec["code"], principal=_principal(meta))
        except ServiceFailed as failed:
            raise _retry(patch, status, meta, memo["config"], "ServiceUnavailable", str(failed)) from None
        if existing is not None and existing.id == program_id:
            for field in IMMUTABLE:
                if getattr(existing, field) != spec.get(field):
                    raise _failed(
                        patch, status, meta, f"{field.capitalize()}Immutable",
                        f"spec.{field} cannot change from {getattr(existing, field)!r} to {spec.get(field)!r} once "
                        f"the program exists; set it back, or create a new LoyaltyProgram for a new program",
                    )
    await reconcile(body=body, spec=spec, meta=meta, status=status, patch=patch, memo=memo, logger=logger)


@kopf.on.delete(GROUP, VERSION, PLURAL)
async def loyaltyprogram_delete(spec, meta, status, memo, logger, **_) -> None:
    """Archive the program everywhere (enrolment and earning stop); its ledger stays as it is."""
    platform: Platform = memo["platform"]
    config: OperatorConfig = memo["config"]
    principal = _principal(meta)
    program_id = status.get("programId") or meta["uid"]
    try:
        existing = await platform.find(spec["code"], principal=principal)
        if existing is None or existing.id != program_id:
            logger.info("program %s was never provisioned by this resource: nothing to archive", spec["code"])
            return
        archived = program_pb2.ProgramSpec()
        archived.CopyFrom(existing)
        archived.archived = True
        await platform.provision(archived, principal=principal)
    except ServiceFailed as failed:
        if failed.error.code in PERMANENT:
            raise kopf.PermanentError(f"cannot archive: {failed}") from None
        raise kopf.TemporaryError(f"cannot archive yet: {failed}", delay=config.retry_delay_seconds) from None
    logger.info("program %s (%s) archived in member, %s", spec["code"], program_id, ", ".join(FOLLOWERS))


# --------------------------------------------------------------------------- reconcile


async def reconcile(*, body, spec, meta, status, patch, memo, logger) -> None:
    config: OperatorConfig = memo["config"]
    platform: Platform = memo["platform"]
    client: KubeClient = memo["kube"]
    generation = meta.get("generation")
    program_id = status.get("programId") or meta["uid"]
    principal = _principal(meta)
    phase = transition(status.get("phase"), Phase.PROVISIONING)
    if status.get("phase") != phase.value:
        # Visible while the calls run; kopf's patch at the end of the cycle says how they went.
        try:
            await client.merge_patch(_status_path(meta), {"status": {"phase": phase.value}})
        except KubeError as err:
            raise _retry(patch, status, meta, config, "KubernetesApiError", str(err)) from None
        status = {**status, "phase": phase.value}

    try:
        provisioned = await platform.provision(
            manifests.build_program_spec(spec, program_id=program_id), principal=principal)
    except ServiceFailed as failed:
        reason = PERMANENT.get(failed.error.code)
        if reason:
            field = f" (field {failed.error.field})" if failed.error.field else ""
            raise _failed(patch, status, meta, reason, f"{failed.service} refused the spec{field}: "
                                                       f"{failed.error.message}") from None
        raise _retry(patch, status, meta, config, "ServiceUnavailable", str(failed)) from None

    patch.status["programId"] = provisioned.id
    services = ", ".join(("member", *FOLLOWERS))
    conditions = [condition("Provisioned", True, "Provisioned",
                            f"program {provisioned.code} provisioned in {services}", generation=generation)]
    try:
        keys = await _ensure_api_keys(client, platform, body=body, spec=spec, meta=meta,
                                      program_id=provisioned.id, principal=principal, logger=logger)
        conditions.append(condition(
            "ApiKeysReady", True, "SecretUpToDate",
            f"{len(keys)} API key(s) in Secret {manifests.api_keys_secret_name(meta['name'])}", generation=generation))
        if config.mesh_enabled:
            await _ensure_authorization_policy(client, config, body=body, spec=spec, meta=meta, keys=keys)
            conditions.append(condition(
                "AuthorizationPolicyReady", True, "PolicyUpToDate",
                f"AuthorizationPolicy {manifests.authorization_policy_name(meta['name'])} allows "
                f"{len(keys)} API client(s)", generation=generation))
    except KubeError as err:
        raise _retry(patch, status, meta, config, "KubernetesApiError", str(err), done=conditions) from None
    except ServiceFailed as failed:
        if failed.error.code in PERMANENT:
            raise _failed(patch, status, meta, PERMANENT[failed.error.code], str(failed), done=conditions) from None
        raise _retry(patch, status, meta, config, "ServiceUnavailable", str(failed), done=conditions) from None

    admin_email = spec.get("initialAdministratorEmail")
    if admin_email and status.get("administratorInvited") != admin_email:
        # Once per address: a reconcile must not mail a new invitation each time it runs.
        try:
            invited = await platform.invite_administrator(email=admin_email, program_code=provisioned.code,
                                                          principal=principal)
        except ServiceFailed as failed:
            if failed.error.code in PERMANENT:
                raise _failed(patch, status, meta, "InvalidAdministrator", str(failed), done=conditions) from None
            raise _retry(patch, status, meta, config, "ServiceUnavailable", str(failed), done=conditions) from None
        if invited:
            patch.status["administratorInvited"] = admin_email
            conditions.append(condition("AdministratorInvited", True, "InvitationMailed",
                                        f"{admin_email} invited as Super Admin", generation=generation))

    tiers = spec.get("tiers") or []
    if tiers:
        try:
            await platform.define_tiers(manifests.build_tier_slab(spec), program_id=provisioned.id,
                                        principal=principal, program_code=provisioned.code)
        except ServiceFailed as failed:
            if failed.error.code in PERMANENT:
                raise _failed(patch, status, meta, "InvalidTiers", str(failed), done=conditions) from None
            raise _retry(patch, status, meta, config, "ServiceUnavailable", str(failed), done=conditions) from None
        patch.status["tiers"] = {"count": len(tiers), "state": "Provisioned"}
        conditions.append(condition(
            "TiersProvisioned", True, "SlabDefined",
            f"{len(tiers)} tier(s) defined in slab {manifests.SLAB_CODE!r}", generation=generation))
    conditions.append(condition("Ready", True, "Provisioned", f"program {provisioned.code} is ready",
                                generation=generation))
    patch.status["phase"] = transition(status.get("phase"), Phase.READY).value
    patch.status["observedGeneration"] = generation
    patch.status["conditions"] = merge_conditions(status.get("conditions"), *conditions)
    logger.info("program %s (%s) is ready", provisioned.code, provisioned.id)


async def _ensure_api_keys(client: KubeClient, platform: Platform, *, body, spec, meta, program_id: str,
                           principal: str, logger) -> dict[str, str]:
    """One key per API client in the Secret; keys already there are kept, never re-created."""
    namespace, name = meta["namespace"], manifests.api_keys_secret_name(meta["name"])
    path = kube.secrets_path(namespace, name)
    secret = await client.get(path)
    if secret is None:
        manifest = manifests.build_api_keys_secret(meta["name"], spec["code"])
        kopf.adopt(manifest, owner=body)
        secret = await client.create(kube.secrets_path(namespace), manifest)
    elif not _owned_by(secret, meta["uid"]):
        adopted = {"metadata": {"name": name}}
        kopf.adopt(adopted, owner=body)
        owners = [*(secret["metadata"].get("ownerReferences") or []), *adopted["metadata"]["ownerReferences"]]
        secret = await client.merge_patch(path, {"metadata": {"ownerReferences": owners}})
    listed = {c["name"] for c in spec.get("apiClients") or []}
    for client_name, api_key in manifests.decode_secret_data(secret.get("data")).items():
        if client_name in listed:
            continue
        # A client no longer listed: its key is revoked (refused at once), then dropped from the Secret.
        await platform.revoke_api_key(program_id=program_id, key_id=manifests.key_id(api_key), principal=principal,
                                      program_code=spec["code"])
        secret = await client.merge_patch(path, {"data": {client_name: None}})
        kopf.info(body, reason="ApiKeyRevoked", message=f"API key for client {client_name} revoked")
        logger.info("API key %s of client %s revoked", manifests.key_id(api_key), client_name)
    for api_client in manifests.missing_api_clients(spec.get("apiClients") or [], secret.get("data")):
        api_key = await platform.create_api_key(program_id=program_id, name=api_client["name"],
                                                scopes=list(api_client.get("scopes") or []), principal=principal,
                                                program_code=spec["code"])
        # Stored at once, one key at a time: a failure later never loses a key already made.
        secret = await client.merge_patch(path, manifests.build_api_key_entry(api_client["name"], api_key))
        kopf.info(body, reason="ApiKeyCreated", message=f"API key for client {api_client['name']} stored in {name}")
        logger.info("API key %s created for client %s", manifests.key_id(api_key), api_client["name"])
    return manifests.decode_secret_data(secret.get("data"))


async def _ensure_authorization_policy(client: KubeClient, config: OperatorConfig, *, body, spec, meta,
                                       keys: dict[str, str]) -> None:
    namespace = meta["namespace"]
    manifest = manifests.build_authorization_policy(
        meta["name"], spec["code"], [manifests.key_id(k) for k in keys.values()], config.gateway_labels)
    kopf.adopt(manifest, owner=body)
    path = kube.authorization_policies_path(namespace, manifest["metadata"]["name"])
    if await client.get(path) is None:
        await client.create(kube.authorization_policies_path(namespace), manifest)
    else:
        await client.merge_patch(path, {"spec": manifest["spec"]})


# --------------------------------------------------------------------------- status helpers


def _principal(meta) -> str:
    return f"operator:{meta['namespace']}/{meta['name']}"


def _status_path(meta) -> str:
    return f"/apis/{GROUP}/{VERSION}/namespaces/{meta['namespace']}/{PLURAL}/{meta['name']}/status"


def _owned_by(obj: dict, uid: str) -> bool:
    return any(ref.get("uid") == uid for ref in obj.get("metadata", {}).get("ownerReferences") or [])


def _failed(patch, status, meta, reason: str, message: str, *, done: list[dict] = ()) -> kopf.PermanentError:
    generation = meta.get("generation")
    patch.status["phase"] = transition(status.get("phase"), Phase.FAILED).value
    patch.status["observedGeneration"] = generation
    patch.status["conditions"] = merge_conditions(
        status.get("conditions"), *done, condition("Ready", False, reason, message, generation=generation))
    return kopf.PermanentError(f"{reason}: {message}")


def _retry(patch, status, meta, config: OperatorConfig, reason: str, message: str, *,
           done: list[dict] = ()) -> kopf.TemporaryError:
    generation = meta.get("generation")
    delay = config.retry_delay_seconds
    patch.status["phase"] = transition(status.get("phase"), Phase.PROVISIONING).value
    patch.status["conditions"] = merge_conditions(
        status.get("conditions"), *done,
        condition("Ready", False, reason, f"{message}; retrying in {delay:g}s", generation=generation))
    return kopf.TemporaryError(f"{reason}: {message}", delay=delay)
