"""Teams end to end: the real bot process, driven through the Microsoft 365 Agents Playground.

The Playground (npm ``@microsoft/m365agentsplayground``) emulates the Teams client and its
connector on this machine: its web page is the chat, its server posts activities to the bot's
``/api/messages`` and receives the bot's replies at ``http://localhost:<port>/_connector``.
Headless Chromium types into that page as a person would. The bot runs anonymous (no
``MICROSOFT_APP_ID``), so it takes requests from loopback only: the Playground's.

Needs Debian's chromium and the Playground in ``.ci/node_modules``; ``.ci/install-e2e.sh``
installs both (CI runs it). Without them the test is skipped, unless ``E2E_REQUIRED`` is set
(``.ci/run`` sets it), in which case it fails. It saves a screenshot of the suggestion card;
with ``UPDATE_SCREENSHOT=1`` it replaces ``docs/teams-suggestion-card.png`` (the README's
picture), otherwise it writes to the test's temporary folder so a test run leaves the tree
clean.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import yaml

from tests.advocacy_bot.test_cli import SCRIPT, free_port, wait_healthy

try:
    from playwright.async_api import Locator, Page, async_playwright, expect
except ImportError:  # pragma: no cover - a virtual environment from before the dev extra
    # None marks the missing extra (checked below); mypy sees the installed function's type.
    async_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOT = REPO / "docs" / "teams-suggestion-card.png"
EN: dict[str, str] = yaml.safe_load((REPO / "messages/i18n/en.yaml").read_text())

# The Playground's default user (its built-in configuration): Alex Wilber, Teams user id
# ``user-id-0`` in tenant 00000000-0000-0000-0000-0000000000001. Being a curator too, the
# same person can join, post, and receive the suggestion.
PLAYGROUND_USER = "user-id-0"
CONFIG = f"""
programme: {{name: Acme Ambassadors, hashtag: "#AcmeAmbassadors", timezone: Europe/Paris}}
guidelines: {{file: guidelines.md, version: "v1"}}
topics:
  - {{id: ai, label: AI}}
  - {{id: product, label: Product}}
networks: [linkedin, x, facebook, bluesky]
curators: {{slack: [], teams: [{PLAYGROUND_USER}]}}
"""
REPLY_TIMEOUT_MS = 15_000  # a reply, or the proactive suggestion through the sender


def playground_binary() -> Path | None:
    local = REPO / ".ci" / "node_modules" / ".bin" / "agentsplayground"
    if local.exists():
        return local
    found = shutil.which("agentsplayground")
    return Path(found) if found else None


@pytest.fixture
def tools() -> Path:
    """The Playground binary, once everything the test needs is known to be here."""
    binary = playground_binary()
    missing = [
        what
        for what, present in [
            (f"chromium at {CHROMIUM}", CHROMIUM.exists()),
            ("the Agents Playground (agentsplayground)", binary is not None),
            ("Playwright for Python (the dev extra)", async_playwright is not None),
            ("node", shutil.which("node") is not None),
        ]
        if not present
    ]
    if missing:
        reason = f"needs {', '.join(missing)}: run .ci/install-e2e.sh"
        if os.environ.get("E2E_REQUIRED"):
            pytest.fail(reason)
        pytest.skip(reason)
    assert binary is not None
    return binary


@dataclass
class Processes:
    """The processes this test started, stopped at the end however it ends."""

    logs: Path
    started: list[tuple[str, asyncio.subprocess.Process]]

    async def start(
        self, name: str, *command: str, env: dict[str, str]
    ) -> asyncio.subprocess.Process:
        """Starts a process in the test's directory (the Playground writes ./devTools/)."""
        log = (self.logs / f"{name}.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            *command,
            env=env,
            cwd=self.logs,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with all its children
        )
        log.close()
        self.started.append((name, process))
        return process

    async def stop_all(self) -> None:
        for name, process in reversed(self.started):
            await _stop(process)
            tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3_000:]
            print(f"--- {name} (exit {process.returncode}), last lines ---\n{tail}")  # noqa: T201


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            async with asyncio.timeout(grace):
                await process.wait()
        except TimeoutError:
            continue
        return


@pytest.fixture
async def processes(tmp_path: Path) -> AsyncIterator[Processes]:
    started = Processes(tmp_path, [])
    try:
        yield started
    finally:
        await started.stop_all()


@pytest.fixture
def bot_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "config.yaml").write_text(CONFIG)
    (tmp_path / "guidelines.md").write_text("# Guidelines\nBe kind.\n")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ADVOCACY_", "MICROSOFT_", "TEAMS_"))
    }
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        ADVOCACY_CONFIG=str(tmp_path / "config.yaml"),
        LOG_LEVEL="INFO",
        ADVOCACY_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    return env


def playground_env() -> dict[str, str]:
    """Its built-in configuration (default user), whatever this shell says."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("M365_AGENTS_PLAYGROUND_", "TEAMSAPPTESTER_"))
    }
    # Without this it tries to open a desktop browser, and exits when there is none.
    env["TEAMSAPPTESTER_BROWSER"] = "none"
    return env


async def wait_for_page(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session, asyncio.timeout(30):
        while True:
            assert process.returncode is None, "the Agents Playground exited early"
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)


async def say(page: Page, text: str) -> None:
    """Types a message into the Playground's compose box and sends it."""
    box = page.locator('[contenteditable="true"][role="textbox"]')
    await box.click()
    await box.fill(text)
    await box.press("Enter")


def card_with_button(page: Page, name: str) -> Locator:
    """The newest Adaptive Card that has a button of this name."""
    cards = page.locator(".ac-adaptiveCard")
    return cards.filter(has=page.get_by_role("button", name=name, exact=True)).last


async def test_join_post_and_receive_a_suggestion_in_the_playground(
    tools: Path, processes: Processes, bot_env: dict[str, str], tmp_path: Path
) -> None:
    bot_port = bot_env["PORT"]
    bot = await processes.start("bot", str(SCRIPT), "serve", env=bot_env)
    await wait_healthy(f"http://127.0.0.1:{bot_port}", bot)

    playground_port = free_port()
    playground = await processes.start(
        "playground",
        str(tools),
        "-e",
        f"http://127.0.0.1:{bot_port}/api/messages",
        "-c",
        "msteams",
        "--disable-telemetry",
        "-p",
        str(playground_port),
        env=playground_env(),
    )
    url = f"http://127.0.0.1:{playground_port}/"
    await wait_for_page(url, playground)

    assert async_playwright is not None
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        page = await browser.new_page(
            viewport={"width": 1280, "height": 900}, device_scale_factor=2
        )
        try:
            page.set_default_timeout(REPLY_TIMEOUT_MS)
            expect.set_options(timeout=REPLY_TIMEOUT_MS)
            await page.goto(url)
            # Opening the chat installs the app: the bot stores the address and says welcome.
            await expect(card_with_button(page, EN["welcome.join"])).to_be_visible()

            await say(page, "help")
            help_card = page.locator(".ac-adaptiveCard").filter(has_text=EN["help.fallback"])
            await expect(help_card.last).to_be_visible()
            await expect(help_card.last).to_contain_text(EN["help.curator_heading"].strip("*"))

            await say(page, "join")
            join = page.locator(".ac-adaptiveCard").filter(has_text=EN["join.title"]).last
            await expect(join).to_be_visible()
            for label in ("AI", "LinkedIn", "X", "Bluesky", EN["join.accept_option"]):
                await join.get_by_role("checkbox", name=label, exact=True).check()
            await join.get_by_role("button", name=EN["join.submit"], exact=True).click()
            # notice.welcome, with the name the Playground gives its default user.
            await expect(page.get_by_text("Welcome aboard, Alex Wilber")).to_be_visible()

            await say(page, "post https://example.com/launch #ai Our new AI assistant is live")
            # The post is saved and published, then the sender delivers the suggestion
            # proactively, through the reference stored at install (the Playground's
            # serviceUrl). example.com cannot be read from here: the title is its address.
            await expect(page.get_by_text("is live: on its way to 1 ambassador")).to_be_visible()
            suggestion = card_with_button(page, EN["suggestion.confirm"])
            await expect(suggestion).to_be_visible()
            await expect(suggestion).to_contain_text(
                "Our new AI assistant is live #AcmeAmbassadors"
            )
            # One share link per network Alex picked (Action.OpenUrl), then the "Skip" button.
            for network in ("LinkedIn", "X", "Bluesky"):
                share = suggestion.get_by_role("link", name=network, exact=True)
                await expect(share).to_be_visible()
                # A button with role "link", its URL as the title (the bot's own page first
                # when it tracks clicks, or straight the network's share page).
                assert (await share.get_attribute("title") or "").startswith("http")
            await expect(suggestion.get_by_role("link", name="Facebook")).to_have_count(0)
            await expect(
                suggestion.get_by_role("button", name=EN["suggestion.skip"], exact=True)
            ).to_be_visible()

            await suggestion.scroll_into_view_if_needed()
            box = await suggestion.bounding_box()
            assert box is not None
            margin = 12
            await page.screenshot(
                path=SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") else tmp_path / "card.png",
                clip={
                    "x": box["x"] - margin,
                    "y": box["y"] - margin,
                    "width": box["width"] + 2 * margin,
                    "height": box["height"] + 2 * margin,
                },
            )
        except BaseException:
            # What the page showed when it went wrong, next to the processes' logs.
            await page.screenshot(path=tmp_path / "page.png")
            print(f"the Playground page at the failure: {tmp_path / 'page.png'}")  # noqa: T201
            raise
        finally:
            await browser.close()
