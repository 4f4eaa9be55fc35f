"""GET /billing/{program}/invoices/{number}.{csv|pdf}: an invoice document, for billing.read."""

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from loyalty.billing.v1 import billing_service_pb2 as pb
from loyalty.member.v1 import member_service_pb2 as member_pb
from services.common.errors import ErrorCode
from services.common.tenancy import outgoing_metadata

from gateway.auth import authenticate
from gateway.services import rpc

PERMISSION = "billing.read"
_STATUS = {ErrorCode.UNAUTHENTICATED.value: 401, ErrorCode.FORBIDDEN.value: 403, ErrorCode.NOT_FOUND.value: 404,
           ErrorCode.INVALID_INPUT.value: 400}


def _refusal(code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=_STATUS.get(code, 502))


def route(graphql) -> Route:
    """The route, bound to the GraphQL app's settings, service stubs and API-key cache."""

    async def download(request: Request) -> Response:
        program, number, fmt = (request.path_params[k] for k in ("program", "number", "fmt"))
        try:
            principal = await authenticate(request, settings=graphql.settings, services=graphql.services,
                                           api_keys=graphql.api_keys, revocations=graphql.revocations)
            if principal is None:
                return _refusal(ErrorCode.UNAUTHENTICATED.value, "authentication required")
            if not principal.has(PERMISSION, program) or not principal.may_act_on(program):
                return _refusal(ErrorCode.FORBIDDEN.value, f"{principal.subject} lacks {PERMISSION} on {program!r}")
            spec = await rpc(graphql.services.member.GetProgram(member_pb.GetProgramRequest(code=program), timeout=5))
            md = outgoing_metadata(program_id=spec.id, principal=principal.subject)
            doc = await rpc(graphql.services.billing.DownloadInvoice(
                pb.DownloadInvoiceRequest(number=number, format=fmt), metadata=md, timeout=60))
        except GraphQLError as err:
            code = (err.extensions or {}).get("code", ErrorCode.INTERNAL.value)
            return _refusal(code, err.message)
        return Response(doc.content, media_type=doc.content_type,
                        headers={"content-disposition": f'attachment; filename="{doc.filename}"'})

    return Route("/billing/{program}/invoices/{number}.{fmt}", download, methods=["GET"])
