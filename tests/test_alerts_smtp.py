"""Alerts mailed to a real SMTP server on loopback (aiosmtpd), started by
the tests: the message parsed back, and every way a send fails leaving the
alert's cursor where it was, so the next run sends the same papers once."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from loopback import Loopback

from tracker.cli import cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    """Records what it accepts; `plan` says what each DATA gets: ok, 451 or drop."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.plan: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        action = self.plan.pop(0) if self.plan else "ok"
        if action == "451":
            return "451 4.3.0 try again later"
        if action == "drop":        # the connection goes in the middle of the transaction, before any answer
            server.transport.close()
            return "250 OK"
        self.messages.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK: queued"


@pytest.fixture
def smtp():
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=5)
    controller.start()
    yield handler, controller.port
    controller.stop()


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/"><channel><title>Sample</title>
<link>https://journal.example.org/</link><description>sample</description>
{items}
</channel></rss>
"""
ITEM = """<item><title>{title}</title><link>{link}</link>{doi}
<prism:publicationName>Journal of Crohn's and Colitis</prism:publicationName>
<pubDate>Mon, 02 Nov 2026 09:30:00 GMT</pubDate><description>{text}</description></item>"""

PAPERS = {
    1: "Natalizumab and progressive multifocal leukoencephalopathy in two patients",
    2: "Upadacitinib induction: a randomised trial",
    3: 'Natalizumab "extended" dosing & the JC virus',
    4: "Vedolizumab in pregnancy",
    5: "Natalizumab rechallenge after PML",
}


def feed(*numbers: int) -> str:
    out = []
    for n in numbers:
        doi = f"<prism:doi>10.5555/mail.{n}</prism:doi>" if n != 5 else ""   # 5: a page link only
        title = PAPERS[n].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out.append(ITEM.format(title=title, link=f"https://journal.example.org/article/{n}?a=1&amp;b=2",
                               doi=doi, text=f"{title}. We describe patients with Crohn's disease."))
    return FEED.format(items="\n".join(out))


def config(home: Path, feed_url: str, port: int, *, starttls: bool = False, alerts: str | None = None) -> None:
    alerts = alerts or """
  - name: natalizumab
    query: natalizumab
    to: [team@lab.org, boss@lab.org]
"""
    (home / "feeds.yaml").write_text(f"""
index: idx
defaults:
  rate_limit: 1000
feeds:
  - name: sample
    kind: rss
    url: {feed_url}
alerts:{alerts}
smtp:
  host: 127.0.0.1
  port: {port}
  from: tracker@lab.org
  starttls: {str(starttls).lower()}
  timeout: 3
""", encoding="utf-8")


def tracker(home: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(home / "feeds.yaml"), *args])


@pytest.fixture
def site(tmp_path):
    with Loopback() as server:
        server.add("/feed.xml", feed(1, 2, 3), "application/rss+xml")
        yield server, tmp_path


def crawl(home: Path) -> None:
    res = tracker(home, "crawl", "-q")
    assert res.exit_code == 0, res.output


def parts(msg) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in msg.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def test_delivery_one_message_with_subject_both_parts_and_every_link(site, smtp):
    server, home = site
    handler, port = smtp
    config(home, server.url + "/feed.xml", port)
    crawl(home)
    res = tracker(home, "alerts", "--send")
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    assert res.stderr == "alert natalizumab: sent 2 new papers to team@lab.org, boss@lab.org.\n"
    assert len(handler.messages) == 1
    rcpts, msg = handler.messages[0]
    assert rcpts == ["team@lab.org", "boss@lab.org"]
    assert msg["Subject"] == "[tracker] natalizumab: 2 new papers"
    assert msg["From"] == "tracker@lab.org" and msg["To"] == "team@lab.org, boss@lab.org"
    text, page = parts(msg)
    for n in (1, 3):
        assert f"https://doi.org/10.5555/mail.{n}" in text
        assert f'href="https://doi.org/10.5555/mail.{n}"' in page
    assert "Upadacitinib" not in text + page
    assert '2. Natalizumab "extended" dosing & the JC virus\r\n   Journal of Crohn\'s and Colitis' in text
    assert "Natalizumab &quot;extended&quot; dosing &amp; the JC virus</a>" in page
    # the next run has nothing new: no mail, says so, exit 0
    again = tracker(home, "alerts", "--send")
    assert again.exit_code == 0 and len(handler.messages) == 1
    assert "alert natalizumab: nothing new since" in again.stderr


def test_starttls_required_but_not_offered_sends_nothing_and_keeps_the_cursor(site, smtp):
    server, home = site
    handler, port = smtp
    config(home, server.url + "/feed.xml", port, starttls=True)
    crawl(home)
    res = tracker(home, "alerts", "--send")
    assert res.exit_code == 1
    assert res.stderr == (f"alert natalizumab: not sent: the mail server 127.0.0.1:{port} does not offer STARTTLS, "
                          f"which smtp: starttls: true requires; nothing was sent unencrypted; its 2 new papers wait "
                          f"for the next run.\n")
    assert handler.messages == []
    listing = tracker(home, "alerts", "--list").stdout
    assert "last delivery:  never" in listing and "waiting:        2 new papers" in listing


def test_connection_dropped_mid_data_keeps_the_cursor_and_the_next_run_sends_once(site, smtp):
    server, home = site
    handler, port = smtp
    config(home, server.url + "/feed.xml", port)
    crawl(home)
    handler.plan = ["drop"]
    res = tracker(home, "alerts", "--send")
    assert res.exit_code == 1 and handler.messages == []
    assert res.stderr.startswith(f"alert natalizumab: not sent: the mail server 127.0.0.1:{port} did not accept "
                                 f"the message (the connection was closed before the server accepted the message)")
    assert "Traceback" not in res.output
    assert tracker(home, "alerts", "--send").exit_code == 0
    assert tracker(home, "alerts", "--send").exit_code == 0
    assert len(handler.messages) == 1 and handler.messages[0][1]["Subject"].endswith(": 2 new papers")


def test_4xx_then_success_sends_the_papers_exactly_once(site, smtp):
    server, home = site
    handler, port = smtp
    config(home, server.url + "/feed.xml", port)
    crawl(home)
    handler.plan = ["451"]
    first = tracker(home, "alerts", "--send")
    assert first.exit_code == 1
    assert "(it answered 451 4.3.0 try again later); its 2 new papers wait for the next run.\n" in first.stderr
    second = tracker(home, "alerts", "--send")
    assert second.exit_code == 0
    third = tracker(home, "alerts", "--send")
    assert third.exit_code == 0 and "nothing new" in third.stderr
    assert len(handler.messages) == 1
    text, _ = parts(handler.messages[0][1])
    assert text.count("https://doi.org/10.5555/mail.") == 2


def test_two_alerts_one_failing_the_other_delivered_exit_1(site, smtp):
    server, home = site
    handler, port = smtp
    config(home, server.url + "/feed.xml", port, alerts="""
  - name: lost
    query: natalizumab
    to: nobody@lab.org
  - name: jak
    query: drug:jak
    to: team@lab.org
  - name: printed
    query: drug:jak
""")
    crawl(home)
    res = tracker(home, "alerts", "--send")
    assert res.exit_code == 1
    lines = res.stderr.splitlines()
    assert lines[0].startswith(f"alert lost: not sent: the mail server 127.0.0.1:{port} did not accept the message "
                               f"(every recipient was refused: nobody@lab.org: 550 5.1.1 no such mailbox)")
    assert lines[1:] == ["alert jak: sent 1 new paper to team@lab.org.", "alert printed: printed 1 new paper."]
    assert "# printed: 1 new paper" in res.stdout
    assert [m["Subject"] for _, m in handler.messages] == ["[tracker] jak: 1 new paper"]
    listing = tracker(home, "alerts", "--list").stdout
    assert re.search(r"^lost\n(  .*\n){2}  last delivery:  never\n  waiting:        2 new papers", listing, re.M)
    assert re.search(r"^jak\n(  .*\n){3}  waiting:        0 new papers", listing, re.M)


def test_refused_connection_and_silent_server_fail_in_one_line(site, tmp_path):
    server, home = site
    port = free_port()                      # nothing listens here
    config(home, server.url + "/feed.xml", port)
    crawl(home)
    res = tracker(home, "alerts", "--send")
    assert res.exit_code == 1
    assert res.stderr == (f"alert natalizumab: not sent: cannot reach the mail server 127.0.0.1:{port} (the "
                          f"connection was refused); its 2 new papers wait for the next run.\n")
    with socket.socket() as mute:           # accepts connections, never greets
        mute.bind(("127.0.0.1", 0))
        mute.listen(1)
        config(home, server.url + "/feed.xml", mute.getsockname()[1])
        text = (home / "feeds.yaml").read_text().replace("timeout: 3", "timeout: 0.3")
        (home / "feeds.yaml").write_text(text)
        res = tracker(home, "alerts", "--send")
    assert res.exit_code == 1 and "(no answer within 0.3 s)" in res.stderr


def test_story_add_an_alert_crawl_twice_send_twice_one_mail_with_exactly_the_new_papers(site, smtp):
    server, home = site
    handler, port = smtp
    config(home, server.url + "/feed.xml", port)
    crawl(home)                                         # papers 1, 2, 3
    server.add("/feed.xml", feed(1, 2, 3, 4, 5), "application/rss+xml")
    crawl(home)                                         # 4 and 5 are new
    for _ in range(2):
        assert tracker(home, "alerts", "--send").exit_code == 0
    assert len(handler.messages) == 1
    text, page = parts(handler.messages[0][1])
    assert handler.messages[0][1]["Subject"] == "[tracker] natalizumab: 3 new papers"
    links = re.findall(r"https://\S+", text)
    assert links == ["https://doi.org/10.5555/mail.1", "https://doi.org/10.5555/mail.3",
                     "https://journal.example.org/article/5?a=1&b=2"]
    assert sorted(set(re.findall(r'href="([^"]+)"', page))) == sorted(
        link.replace("&", "&amp;") for link in links)
    # a paper arriving later comes in a mail of its own, alone
    server.add("/feed.xml", feed(1, 2, 3, 4, 5).replace(
        "</channel>", ITEM.format(title="Natalizumab in the elderly", link="https://journal.example.org/article/6",
                                  doi="<prism:doi>10.5555/mail.6</prism:doi>",
                                  text="Natalizumab in older patients with Crohn's disease.") + "</channel>"),
        "application/rss+xml")
    crawl(home)
    assert tracker(home, "alerts", "--send").exit_code == 0
    assert len(handler.messages) == 2
    text, _ = parts(handler.messages[1][1])
    assert re.findall(r"https://\S+", text) == ["https://doi.org/10.5555/mail.6"]


def test_failed_login_keeps_the_cursor_and_a_partly_refused_message_counts_as_sent(site, monkeypatch):
    from aiosmtpd.smtp import AuthResult

    server, home = site
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
    handler = Handler()

    def authenticator(srv, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.password == b"right", handled=False)

    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=5,
                            auth_require_tls=False, authenticator=authenticator)
    controller.start()
    try:
        config(home, server.url + "/feed.xml", controller.port, alerts="""
  - name: natalizumab
    query: natalizumab
    to: [team@lab.org, nobody@lab.org]
""")
        text = (home / "feeds.yaml").read_text().replace("  timeout: 3", "  timeout: 3\n  username: tracker\n"
                                                         "  password: ${TEST_SMTP_PASSWORD}")
        (home / "feeds.yaml").write_text(text)
        crawl(home)
        res = tracker(home, "alerts", "--send")
        assert res.exit_code == 1 and handler.messages == []
        assert res.stderr.startswith(f"alert natalizumab: not sent: the mail server 127.0.0.1:{controller.port} "
                                     f"refused the login of 'tracker' (535 ")
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "right")
        res = tracker(home, "alerts", "--send")
        # accepted for one recipient: that one has it, so the cursor moves; the refusal still fails the run
        assert res.exit_code == 1
        assert res.stderr == ("alert natalizumab: sent 2 new papers to team@lab.org, nobody@lab.org. The server "
                              "refused nobody@lab.org (550 5.1.1 no such mailbox).\n")
        assert [rcpts for rcpts, _ in handler.messages] == [["team@lab.org"]]
        assert "nothing new" in tracker(home, "alerts", "--send").stderr
    finally:
        controller.stop()
