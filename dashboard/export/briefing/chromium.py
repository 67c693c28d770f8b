"""Static chart images for the PDF: one offline kaleido (Chromium) session per export."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any

import plotly.graph_objects as go

from dashboard.export.briefing.content import ExportError
from dashboard.present import maps

# Debian's chromium launcher turns background networking on (extension updates, search-engine preconnects), and
# choreographer has no switch for it: these flags keep the export browser off the network entirely. Every host name
# fails to resolve, so even a request we did not foresee cannot leave the machine (file: URLs need no resolver).
OFFLINE_CHROMIUM_FLAGS = (
    "--disable-background-networking",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-pings",
    "--dns-prefetch-disable",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def _offline_chromium() -> type:
    """choreographer's Chromium with OFFLINE_CHROMIUM_FLAGS added to its command line."""
    from choreographer.browsers.chromium import Chromium

    class OfflineChromium(Chromium):
        """Chromium that stays off the network."""

        def get_cli(self) -> list[str]:
            """choreographer's command line plus OFFLINE_CHROMIUM_FLAGS."""
            return [*super().get_cli(), *OFFLINE_CHROMIUM_FLAGS]

    return OfflineChromium


class ChartSession:
    """One kaleido (Chromium) session for the static charts of an export, started at once in a thread of its own.

    Chromium takes seconds to start, so it starts while the data is still being read; `render` then draws every
    figure in the same session. MathJax is off (kaleido would fetch it from a CDN otherwise), plotly.js comes from
    the plotly package, the world topology from the vendored folder, and the browser runs with
    OFFLINE_CHROMIUM_FLAGS, so no request leaves the machine. Always `close()` it (or use `with`).
    """

    def __init__(self) -> None:
        for name in ("kaleido", "choreographer"):  # their INFO lines (tabs, temp folders) are noise in a CLI or app log
            logging.getLogger(name).setLevel(logging.WARNING)
        self._jobs: queue.Queue[dict[str, tuple[go.Figure, dict[str, Any]]] | None] = queue.Queue()
        self._done: queue.Queue[dict[str, bytes] | BaseException] = queue.Queue()
        self._closed = False
        self._topojson = maps.configure_static_export()
        self._thread = threading.Thread(target=self._serve, name="briefing-export-charts", daemon=True)
        self._thread.start()

    def __enter__(self) -> ChartSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # handed to the caller's thread by render()
            self._done.put(exc)

    async def _main(self) -> None:
        import kaleido

        loop = asyncio.get_running_loop()
        browser = _offline_chromium()
        async with kaleido.Kaleido(n=1, mathjax=False, timeout=60, browser_cls=browser, enable_extensions=False) as k:
            figures = await loop.run_in_executor(None, self._jobs.get)
            if figures is None:
                return
            images = {}
            for name, (fig, opts) in figures.items():
                images[name] = await k.calc_fig(fig, {"format": "png", **opts}, topojson=self._topojson)
            self._done.put(images)

    def render(self, figures: dict[str, tuple[go.Figure, dict[str, Any]]]) -> dict[str, bytes]:
        """PNG bytes of each figure (name -> (figure, kaleido options: width, height, scale))."""
        from choreographer.errors import ChromeNotFoundError

        if self._closed:
            raise ExportError("the chart session is closed")
        self._closed = True
        self._jobs.put(figures)
        result = self._done.get()
        self._thread.join()
        if isinstance(result, ChromeNotFoundError):
            raise ExportError("static charts need Chromium (install Debian's chromium package)")
        if isinstance(result, BaseException):
            reason = str(result).strip().splitlines()[0] if str(result).strip() else repr(result)
            raise ExportError(f"chart rendering failed: {reason}")
        return result

    def close(self) -> None:
        """Stop the browser if nothing was rendered."""
        if not self._closed:
            self._closed = True
            self._jobs.put(None)
            self._thread.join(timeout=30)


def render_images(figures: dict[str, tuple[go.Figure, dict[str, Any]]]) -> dict[str, bytes]:
    """PNG images of the figures, all in one offline kaleido session (see ChartSession)."""
    with ChartSession() as session:
        return session.render(figures)
