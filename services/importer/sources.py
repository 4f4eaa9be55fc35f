"""Where a dump comes from: a folder, an S3 bucket, or an SFTP server.

    /path/to/dump                      a folder, read in place
    s3://bucket/prefix                 every object directly under the prefix
    sftp://user@host:port/path         every file in the remote folder

A remote dump is streamed in chunks (never whole in memory) into a local spool folder. Each file
is written to NAME.part and renamed when complete; a manifest records each file's size and
version (S3 ETag, SFTP size and mtime). A rerun skips complete files whose version is unchanged
and continues a partial file from its last byte when the remote file is the same one, so a
transfer broken mid-way resumes where it stopped and never mixes two versions of a file.
"""

import asyncio
import dataclasses
import hashlib
import json
import os
import pathlib
import posixpath
import urllib.parse
from collections.abc import Callable, Iterator

CHUNK = 8 * 1024 * 1024
MANIFEST = ".fetch.json"


class SourceError(Exception):
    """The source cannot be read: a bad address, a missing bucket or folder, refused credentials."""


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    version: str


@dataclasses.dataclass(frozen=True)
class SourceSettings:
    s3_endpoint_url: str | None = None   # an S3-compatible server (MinIO, moto); None: AWS
    sftp_password: str | None = None
    sftp_client_key: str | None = None
    sftp_known_hosts: str | None = None  # None: the host key is not checked (say so in the deployment)


def is_remote(location: str) -> bool:
    return location.startswith(("s3://", "sftp://"))


def spool_for(location: str, root: pathlib.Path | None = None) -> pathlib.Path:
    """The default local folder a remote dump is fetched into, one per source address."""
    base = root or pathlib.Path(os.environ.get("LOYALTY_IMPORT_SPOOL", pathlib.Path.home() / ".cache/loyalty/import"))
    return base / hashlib.sha256(location.encode()).hexdigest()[:16]


class _Manifest:
    def __init__(self, spool: pathlib.Path, location: str):
        self.path = spool / MANIFEST
        body = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.files: dict[str, dict] = body.get("files", {}) if body.get("source") == location else {}
        self.location = location

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"source": self.location, "files": self.files}, indent=1))
        tmp.replace(self.path)


@dataclasses.dataclass
class FetchResult:
    directory: pathlib.Path
    fetched: list[str]
    skipped: list[str]   # complete and unchanged from an earlier run
    resumed: list[str]   # continued from a partial file


Progress = Callable[[str, int], None]  # (file name, bytes so far): progress display, and tests that cut a transfer


def _plan(files: list[RemoteFile], spool: pathlib.Path, manifest: _Manifest) -> Iterator[tuple[RemoteFile, int]]:
    """Each file still to transfer with the offset to start at; records what is starting."""
    for f in files:
        known = manifest.files.get(f.name)
        part = spool / f"{f.name}.part"
        if known and known["version"] == f.version and known.get("complete") and (spool / f.name).exists():
            continue
        offset = part.stat().st_size if known and known["version"] == f.version and part.exists() else 0
        if offset > f.size:
            offset = 0
        if offset == 0:
            part.unlink(missing_ok=True)
        manifest.files[f.name] = {"version": f.version, "size": f.size, "complete": False}
        manifest.save()
        yield f, offset


def _finish(f: RemoteFile, spool: pathlib.Path, manifest: _Manifest) -> None:
    part = spool / f"{f.name}.part"
    if part.stat().st_size != f.size:
        raise SourceError(f"{f.name}: received {part.stat().st_size:,} bytes, the source says {f.size:,}")
    part.replace(spool / f.name)
    manifest.files[f.name]["complete"] = True
    manifest.save()


# --- S3 ---------------------------------------------------------------------------------------

def _s3_client(settings: SourceSettings):
    import boto3  # only a remote dump needs it
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=settings.s3_endpoint_url,
                        config=Config(retries={"max_attempts": 5, "mode": "standard"}))


def _fetch_s3(location: str, spool: pathlib.Path, settings: SourceSettings, progress: Progress | None) -> FetchResult:
    from botocore.exceptions import BotoCoreError, ClientError

    parsed = urllib.parse.urlparse(location)
    bucket, prefix = parsed.netloc, parsed.path.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    client = _s3_client(settings)
    result = FetchResult(directory=spool, fetched=[], skipped=[], resumed=[])
    try:
        files = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            for obj in page.get("Contents", []):
                name = obj["Key"][len(prefix):]
                if name and not name.endswith("/"):
                    files.append(RemoteFile(name=name, size=obj["Size"], version=obj["ETag"].strip('"')))
        if not files:
            raise SourceError(f"{location}: no files under this prefix")
        manifest = _Manifest(spool, location)
        todo = dict((f.name, o) for f, o in _plan(files, spool, manifest))
        result.skipped = [f.name for f in files if f.name not in todo]
        for f in files:
            if f.name not in todo:
                continue
            offset = todo[f.name]
            if offset < f.size:
                extra = {"Range": f"bytes={offset}-"} if offset else {}
                body = client.get_object(Bucket=bucket, Key=prefix + f.name, IfMatch=f'"{f.version}"', **extra)["Body"]
                with (spool / f"{f.name}.part").open("ab") as out:
                    done = offset
                    for chunk in body.iter_chunks(CHUNK):
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(f.name, done)
            _finish(f, spool, manifest)
            (result.resumed if offset else result.fetched).append(f.name)
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        raise SourceError(f"{location}: S3 refused the request ({code}: {err.response['Error'].get('Message', '')})"
                          ) from None
    except BotoCoreError as err:
        raise SourceError(f"{location}: {err}") from None
    return result


# --- SFTP -------------------------------------------------------------------------------------

async def _fetch_sftp(location: str, spool: pathlib.Path, settings: SourceSettings,
                      progress: Progress | None) -> FetchResult:
    import asyncssh  # only an SFTP dump needs it (a tenth of a second of every command's start)

    parsed = urllib.parse.urlparse(location)
    result = FetchResult(directory=spool, fetched=[], skipped=[], resumed=[])
    try:
        async with asyncssh.connect(
            parsed.hostname, port=parsed.port or 22, username=urllib.parse.unquote(parsed.username or ""),
            password=settings.sftp_password or (urllib.parse.unquote(parsed.password) if parsed.password else None),
            client_keys=[settings.sftp_client_key] if settings.sftp_client_key else None,
            known_hosts=settings.sftp_known_hosts,
        ) as conn, conn.start_sftp_client() as sftp:
            folder = urllib.parse.unquote(parsed.path) or "."
            files = []
            for entry in await sftp.readdir(folder):
                attrs = entry.attrs
                if entry.filename.startswith(".") or attrs.type != asyncssh.FILEXFER_TYPE_REGULAR:
                    continue
                files.append(RemoteFile(name=entry.filename, size=attrs.size or 0,
                                        version=f"{attrs.size}-{attrs.mtime}"))
            if not files:
                raise SourceError(f"{location}: no files in this folder")
            manifest = _Manifest(spool, location)
            todo = dict((f.name, o) for f, o in _plan(sorted(files, key=lambda f: f.name), spool, manifest))
            result.skipped = [f.name for f in files if f.name not in todo]
            for name, offset in todo.items():
                f = next(x for x in files if x.name == name)
                async with sftp.open(posixpath.join(folder, name), "rb") as remote:
                    await remote.seek(offset)
                    with (spool / f"{name}.part").open("ab") as out:
                        done = offset
                        while chunk := await remote.read(CHUNK):
                            out.write(chunk)
                            done += len(chunk)
                            if progress:
                                progress(name, done)
                _finish(f, spool, manifest)
                (result.resumed if offset else result.fetched).append(name)
    except (OSError, asyncssh.Error) as err:
        raise SourceError(f"{location}: {err}") from None
    return result


async def fetch(location: str, *, spool: pathlib.Path | None = None, settings: SourceSettings = SourceSettings(),
                progress: Progress | None = None) -> FetchResult:
    """Bring the dump at `location` into a local folder and return it (a folder is used in place)."""
    if not is_remote(location):
        directory = pathlib.Path(location).resolve()
        return FetchResult(directory=directory, fetched=[], skipped=[], resumed=[])
    spool = spool or spool_for(location)
    spool.mkdir(parents=True, exist_ok=True)
    if location.startswith("s3://"):
        if not urllib.parse.urlparse(location).netloc:
            raise SourceError(f"{location}: no bucket named (s3://BUCKET/PREFIX)")
        return await asyncio.to_thread(_fetch_s3, location, spool, settings, progress)
    if not urllib.parse.urlparse(location).hostname:
        raise SourceError(f"{location}: no host named (sftp://USER@HOST:PORT/PATH)")
    return await _fetch_sftp(location, spool, settings, progress)

