import strawberry

from loyalty.member.v1 import member_import_service_pb2 as import_pb

from gateway.context import Info
from gateway.imports.types import ImportRejection, LegacyImport, LegacyImportDetail
from gateway.permissions import Allow, P
from gateway.services import rpc


@strawberry.type
class ImportQueries:
    @strawberry.field(permission_classes=[Allow(P.IMPORT_READ)],
                      description="The program's legacy import runs, newest first: state, counts, reconciliation")
    async def legacy_imports(self, info: Info, program: str, first: int = 50) -> list[LegacyImport]:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.member_import.ListImports(
            import_pb.ListImportsRequest(limit=first), metadata=md, timeout=10))
        return [LegacyImport.from_proto(r) for r in found.imports]

    @strawberry.field(permission_classes=[Allow(P.IMPORT_READ)],
                      description="One legacy import run with its rejected rows (file, line, problem), paged")
    async def legacy_import(self, info: Info, program: str, id: strawberry.ID, first: int = 100,
                            after: str | None = None) -> LegacyImportDetail:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.member_import.GetImport(
            import_pb.GetImportRequest(import_id=id, rejections_limit=first, rejections_after=after or ""),
            metadata=md, timeout=10))
        return LegacyImportDetail(
            run=LegacyImport.from_proto(found.run), next_cursor=found.next_rejections_after or None,
            rejections=[ImportRejection(file=x.file, line=x.line, key=x.key, problem=x.reason)
                        for x in found.rejections])
