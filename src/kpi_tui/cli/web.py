"""textual-serve's Server with kpi-tui's guard: the token, loopback host names, same-origin
websockets and a cap on open tabs (each one is a monitor process)."""

from __future__ import annotations

import asyncio
import signal
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

from kpi_tui.cli.serve import check_token, is_loopback, same_origin

MAX_TABS = 8
DENIED = "403: kpi-tui serve: wrong or missing token (open the URL printed by `kpi-tui serve`)\n"


class MonitorServer(Server):
    def __init__(self, command: str, *, host: str, port: int, token: str | None,
                 loopback_only: bool, banner: str, max_tabs: int = MAX_TABS):
        super().__init__(command, host=host, port=port, title="kpi-tui")
        self.token, self.loopback_only, self.banner = token, loopback_only, banner
        self.cookie = f"kpi_tui_token_{port}"  # cookies ignore the port: one name per server
        self.max_tabs, self.tabs = max_tabs, 0

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        if self.loopback_only and not is_loopback(urlsplit(f"//{request.host}").hostname or ""):
            raise web.HTTPForbidden(text="403: kpi-tui serve answers to 127.0.0.1 only\n")
        if request.path.startswith("/static/"):  # textual's scripts and fonts: no data
            return await handler(request)
        query = request.query.get("token")
        if not check_token(self.token, query or request.cookies.get(self.cookie)):
            raise web.HTTPForbidden(text=DENIED)
        if request.path == "/ws" and not same_origin(request.headers.get("Origin"), request.host):
            raise web.HTTPForbidden(text="403: kpi-tui serve: a page of another site\n")
        response = await handler(request)
        if query and request.path == "/" and isinstance(response, web.Response):
            response.set_cookie(self.cookie, query, httponly=True, samesite="Strict")
        return response

    async def handle_index(self, request: web.Request):
        # the page's websocket address as the browser reached us (not 0.0.0.0)
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request):
        if self.tabs >= self.max_tabs:
            raise web.HTTPServiceUnavailable(text=f"503: kpi-tui serve: {self.max_tabs} "
                                             "monitors open already\n")
        self.tabs += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.tabs -= 1

    async def on_startup(self, app: web.Application) -> None:
        pass  # the banner once listening (serve), not textual-serve's logo

    def serve(self, debug: bool = False) -> None:
        self.debug = debug
        self.initialize_logging()
        try:
            asyncio.run(self._serve())
        except KeyboardInterrupt:
            pass

    async def _serve(self) -> None:
        runner = web.AppRunner(await self._make_app(), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
            print(self.banner, flush=True)  # the page can be opened from now on
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await runner.cleanup()
