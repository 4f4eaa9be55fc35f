"""Unary calls carried as messages on a few long-lived gRPC streams (proto/loyalty/common/v1/multiplex.proto).

grpc.aio spends about 0.3 ms of CPU on a unary call, client and server together, at the till's rates on
the project's 2-core machine; a message on a stream that is already open costs about 0.15 ms
(docs/performance.md, ninth sitting). The gateway makes every call a till waits on, so it sends them
this way: each message is one call of the service's own unary methods, with the same metadata,
deadline, status, details and trailing metadata, and the same retries (services/common/clients.py's
policy) as the call on its own. Nothing above the stub sees the difference.

Server: every service serves `Multiplex.Calls` beside its methods (services/common/server.py), running
each message through the same error mapping and trace context as a call of its own, concurrently,
answered as each finishes. Client: `Multiplexer` keeps `lanes` streams and takes them in turn; a lane
older than `max_age` is closed once its calls are answered and a new one opened, so a mesh balancing
streams across replicas spreads them again. A peer without `Multiplex` (an older release mid-rollout)
is called as before.

A process that traces records a span per carried call on both sides, named and related as
OpenTelemetry's gRPC instrumentation names a call of its own (`traced=True`).
"""

import asyncio
import collections
import itertools
import logging
import random
import time
from collections.abc import Callable, Collection, Sequence

import grpc
from opentelemetry import propagate, trace

from loyalty.common.v1 import multiplex_pb2 as pb

log = logging.getLogger(__name__)

METHOD = "/loyalty.common.v1.Multiplex/Calls"
SERVICE = "loyalty.common.v1.Multiplex"
_STATUS = {code.value[0]: code for code in grpc.StatusCode}

# The channel's retry policy: grpc core's for a call of its own (clients.SERVICE_CONFIG is made of
# these), Multiplexer.call's for a carried one
MAX_ATTEMPTS = 4
INITIAL_BACKOFF = 0.1
MAX_BACKOFF = 1.0
BACKOFF_MULTIPLIER = 2


# ---------------------------------------------------------------------------------------------- server

class _Aborted(grpc.aio.AbortError):
    def __init__(self, code: grpc.StatusCode, details: str, trailing: Sequence[tuple[str, str]]):
        super().__init__(details)
        self.code, self.details, self.trailing = code, details, tuple(trailing or ())


class _Details(collections.namedtuple("_Details", ("method", "invocation_metadata"))):
    """grpc.HandlerCallDetails of a carried call, for the interceptors."""


class MessageContext:
    """What a servicer method reads of its context, for one call carried on a stream."""

    __slots__ = ("_metadata", "_deadline", "_peer")

    def __init__(self, metadata: tuple, deadline: float | None, peer: str):
        self._metadata, self._deadline, self._peer = metadata, deadline, peer

    def invocation_metadata(self):
        return self._metadata

    def time_remaining(self) -> float | None:
        return None if self._deadline is None else max(self._deadline - time.monotonic(), 0.0)

    def peer(self) -> str:
        return self._peer

    async def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata=()):
        raise _Aborted(code, details, trailing_metadata)


def _result(call_id: int, code: grpc.StatusCode, details: str, trailing=()) -> pb.MultiplexedResult:
    return pb.MultiplexedResult(id=call_id, code=code.value[0], details=details,
                                trailing_metadata=[pb.Header(key=k, value=v) for k, v in trailing])


class MultiplexServicer:
    """Serves the unary methods in `handlers` ("/pkg.Service/Method" -> handler) as messages."""

    def __init__(self, handlers: dict[str, grpc.RpcMethodHandler], interceptors: Sequence[grpc.aio.ServerInterceptor],
                 *, traced: bool = False, allowed: Collection[str] | None = None):
        self._handlers = handlers
        # Under the mesh's policies only the gateway may open these streams; what it may call in them is
        # the list its policy would admit method by method (the chart's MULTIPLEX_METHODS). None: all.
        self._allowed = None if allowed is None else frozenset(allowed)
        self._interceptors = tuple(interceptors)
        self._traced = traced
        self._reading: set[asyncio.Task] = set()  # the streams' handlers, while they wait for calls
        self._stopping = False

    def stop_taking_calls(self) -> None:
        """Before the server stops: each stream runs and answers the calls it has read, then ends; a call
        its caller sent after that is never run, and the caller sends it again elsewhere (UNAVAILABLE).
        So no call that ran is sent again because this process went away."""
        self._stopping = True
        for task in self._reading:
            task.cancel()

    def method_handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(SERVICE, {"Calls": grpc.stream_stream_rpc_method_handler(
            self.calls, request_deserializer=pb.MultiplexedCall.FromString,
            response_serializer=pb.MultiplexedResult.SerializeToString)})

    async def calls(self, requests, context: grpc.aio.ServicerContext) -> None:
        write_lock = asyncio.Lock()  # grpc.aio takes one write at a time
        running: set[asyncio.Task] = set()
        peer = context.peer()

        async def answer(call: pb.MultiplexedCall) -> None:
            result = await self.run(call, peer)
            try:
                async with write_lock:
                    await context.write(result)
            except Exception:  # the caller has gone: its calls ran (idempotent by reference) and go unanswered
                log.debug("multiplexed result %d not delivered", call.id)

        reader = asyncio.current_task()
        self._reading.add(reader)
        try:
            while not self._stopping:
                try:
                    call = await context.read()
                except asyncio.CancelledError:
                    if self._stopping:  # stop_taking_calls
                        break
                    raise
                if call is grpc.aio.EOF:
                    break
                task = asyncio.create_task(answer(call))
                running.add(task)
                task.add_done_callback(running.discard)
        finally:
            self._reading.discard(reader)
        if running:  # the caller closed its side: answer what it sent before it did
            await asyncio.gather(*running, return_exceptions=True)

    async def _intercepted(self, details: _Details) -> grpc.RpcMethodHandler | None:
        async def continuation(index: int, d):
            if index == len(self._interceptors):
                return self._handlers.get(d.method)
            return await self._interceptors[index].intercept_service(lambda d2: continuation(index + 1, d2), d)

        return await continuation(0, details)

    async def run(self, call: pb.MultiplexedCall, peer: str = "") -> pb.MultiplexedResult:
        if not self._traced:
            return await self._run(call, peer)
        metadata = {h.key: h.value for h in call.metadata}
        with trace.get_tracer(__name__).start_as_current_span(
                call.method, context=propagate.extract(metadata), kind=trace.SpanKind.SERVER,
                attributes=rpc_attributes(call.method), record_exception=False) as span:
            result = await self._run(call, peer)
            end_span(span, _STATUS.get(result.code, grpc.StatusCode.UNKNOWN), result.details)
            return result

    async def _run(self, call: pb.MultiplexedCall, peer: str) -> pb.MultiplexedResult:
        if self._allowed is not None and call.method not in self._allowed:
            return _result(call.id, grpc.StatusCode.PERMISSION_DENIED, "RBAC: access denied")  # as the mesh answers
        metadata = tuple((h.key, h.value) for h in call.metadata)
        timeout = call.timeout_micros / 1e6 if call.timeout_micros else None
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            handler = await self._intercepted(_Details(call.method, metadata))
            if handler is None or handler.unary_unary is None:
                return _result(call.id, grpc.StatusCode.UNIMPLEMENTED, "Method not found!")
            deserialize = handler.request_deserializer
            request = deserialize(call.request) if deserialize else call.request
            context = MessageContext(metadata, deadline, peer)
            if timeout is None:
                response = await handler.unary_unary(request, context)
            else:
                async with asyncio.timeout(timeout):
                    response = await handler.unary_unary(request, context)
            serialize = handler.response_serializer
            return pb.MultiplexedResult(id=call.id, response=serialize(response) if serialize else response)
        except _Aborted as aborted:
            return _result(call.id, aborted.code, aborted.details, aborted.trailing)
        except TimeoutError:
            return _result(call.id, grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
        except Exception:
            log.exception("unhandled error in multiplexed %s", call.method)
            return _result(call.id, grpc.StatusCode.UNKNOWN, "Unexpected error")


def rpc_attributes(method: str) -> dict[str, str]:
    service, _, name = method.lstrip("/").partition("/")
    return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name, "rpc.multiplexed": True}


def end_span(span: trace.Span, code: grpc.StatusCode, details: str) -> None:
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code is not grpc.StatusCode.OK:
        span.set_status(trace.Status(trace.StatusCode.ERROR, f"{code.name}: {details}"))


class RecordingServer:
    """The server a service's `register` adds its servicers to, noting each unary method's handler."""

    def __init__(self, server: grpc.aio.Server):
        self._server = server
        self.handlers: dict[str, grpc.RpcMethodHandler] = {}
        self.multiplex: MultiplexServicer | None = None  # stopped taking calls before the server stops

    async def stop(self, grace: float | None) -> None:
        if self.multiplex is not None:
            self.multiplex.stop_taking_calls()
        await self._server.stop(grace)

    def add_registered_method_handlers(self, service_name: str, method_handlers: dict) -> None:
        for name, handler in method_handlers.items():
            self.handlers[f"/{service_name}/{name}"] = handler
        self._server.add_registered_method_handlers(service_name, method_handlers)

    def __getattr__(self, name):
        return getattr(self._server, name)


# ---------------------------------------------------------------------------------------------- client

class _LaneEnded(Exception):
    """The stream a call went on ended before its answer came (the peer went, or never served Multiplex)."""

    def __init__(self, error: grpc.aio.AioRpcError | None):
        super().__init__(str(error))
        self.error = error


class _Lane:
    def __init__(self, open_stream: Callable[[], grpc.aio.StreamStreamCall]):
        self.stream = open_stream()
        self.pending: dict[int, asyncio.Future] = {}
        self.write_lock = asyncio.Lock()
        self.born = time.monotonic()
        self.ended = False
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        error = None
        try:
            while True:
                result = await self.stream.read()
                if result is grpc.aio.EOF:
                    break
                waiter = self.pending.pop(result.id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(result)
        except grpc.aio.AioRpcError as err:
            error = err
        except asyncio.CancelledError:
            pass
        finally:
            self.ended = True
            pending, self.pending = self.pending, {}
            for waiter in pending.values():
                if not waiter.done():
                    waiter.set_exception(_LaneEnded(error))

    async def send(self, call: pb.MultiplexedCall) -> asyncio.Future:
        waiter = asyncio.get_running_loop().create_future()
        self.pending[call.id] = waiter
        try:
            async with self.write_lock:
                await self.stream.write(call)
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError, grpc.aio.UsageError) as err:
            self.pending.pop(call.id, None)
            raise _LaneEnded(err if isinstance(err, grpc.aio.AioRpcError) else None) from None
        return waiter

    async def retire(self) -> None:
        """No more calls: the peer answers those it has, then ends the stream."""
        try:
            async with self.write_lock:
                await self.stream.done_writing()
        except Exception:
            pass


def _error(code: grpc.StatusCode, details: str, trailing=()) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailing), details)


class Multiplexer:
    """A channel's unary calls as messages on `lanes` streams, taken in turn."""

    def __init__(self, channel: grpc.aio.Channel, *, lanes: int = 4, max_age: float = 60.0):
        self._open = channel.stream_stream(METHOD, request_serializer=pb.MultiplexedCall.SerializeToString,
                                           response_deserializer=pb.MultiplexedResult.FromString)
        self._lanes: list[_Lane | None] = [None] * lanes
        self._turn = itertools.cycle(range(lanes))
        self._ids = itertools.count(1)
        self._max_age = max_age
        self._retiring: set[asyncio.Task] = set()  # held, or the loop may drop them before they run
        self.supported = True  # False once the peer answers that it does not serve Multiplex

    def _lane(self) -> _Lane:
        index = next(self._turn)
        lane = self._lanes[index]
        if lane is None or lane.ended or time.monotonic() - lane.born > self._max_age:
            if lane is not None and not lane.ended:
                retiring = asyncio.get_running_loop().create_task(lane.retire())
                self._retiring.add(retiring)
                retiring.add_done_callback(self._retiring.discard)
            lane = self._lanes[index] = _Lane(self._open)
        return lane

    async def call(self, method: str, request: bytes, *, timeout: float | None, metadata) -> bytes:
        """The method's serialized response; a failure as the AioRpcError the unary call would raise."""
        deadline = None if timeout is None else time.monotonic() + timeout
        backoff = INITIAL_BACKOFF
        for attempt in range(1, MAX_ATTEMPTS + 1):
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise _error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
            code, result = await self._attempt(method, request, left, metadata)
            if code is grpc.StatusCode.OK:
                return result.response
            if code is not grpc.StatusCode.UNAVAILABLE or attempt == MAX_ATTEMPTS:
                break
            pause = random.uniform(0, backoff)  # grpc's retry jitter
            if left is not None and pause >= left:
                break
            await asyncio.sleep(pause)
            backoff = min(backoff * BACKOFF_MULTIPLIER, MAX_BACKOFF)
        if result is None:
            raise _error(code, "Deadline Exceeded" if code is grpc.StatusCode.DEADLINE_EXCEEDED else "stream ended")
        if isinstance(result, grpc.aio.AioRpcError):
            raise result
        raise _error(code, result.details, tuple((h.key, h.value) for h in result.trailing_metadata))

    async def _attempt(self, method: str, request: bytes, timeout: float | None, metadata):
        call = pb.MultiplexedCall(id=next(self._ids), method=method, request=request,
                                  metadata=[pb.Header(key=k, value=v) for k, v in metadata or ()],
                                  timeout_micros=0 if timeout is None else max(int(timeout * 1e6), 1))
        lane = self._lane()
        try:
            waiter = await lane.send(call)
            if timeout is None:
                result = await waiter
            else:
                async with asyncio.timeout(timeout):
                    result = await waiter
        except TimeoutError:
            lane.pending.pop(call.id, None)
            return grpc.StatusCode.DEADLINE_EXCEEDED, None
        except _LaneEnded as ended:
            if ended.error is not None and ended.error.code() is grpc.StatusCode.UNIMPLEMENTED:
                self.supported = False
                return grpc.StatusCode.UNIMPLEMENTED, ended.error
            # the stream broke under the call: what a unary call reports when its connection does
            return grpc.StatusCode.UNAVAILABLE, (ended.error if ended.error is not None
                                                 and ended.error.code() is grpc.StatusCode.UNAVAILABLE else None)
        except asyncio.CancelledError:
            lane.pending.pop(call.id, None)
            raise
        return _STATUS.get(result.code, grpc.StatusCode.UNKNOWN), result
