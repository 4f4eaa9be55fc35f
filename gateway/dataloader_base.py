"""The shape shared by our loaders: one RPC per key, run together, each key failing on its own."""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from strawberry.dataloader import DataLoader

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PerKeyLoader(DataLoader[K, V], Generic[K, V]):
    def __init__(self, fetch_one: Callable[[K], Awaitable[V]]):
        async def load_all(keys: list[K]) -> list[V | BaseException]:
            return await asyncio.gather(*(fetch_one(k) for k in keys), return_exceptions=True)

        super().__init__(load_fn=load_all)
