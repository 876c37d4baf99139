"""Quote and signature stripping (mailgateway/inbound/quote.py) on the shared corpus."""

import pytest

from mailgateway.inbound import parse, quote
from mailgateway.services import reply_body

from .corpus import corpus_dir, manifest

TALON = "talon/tests/fixtures/standard_replies/"
HTML_KEEP, HTML_QUOTED = "Hi. I am fine.", "How are you?"

# (file, text the person wrote that must stay, quoted history that must go)
TEXT_BODIES = {
    "correct_sig.txt": ("this is an email with a correct -- signature.", "rick"),
    "email_1_2.txt": ("You can list the keys for the bucket", "What is the best way"),
    "email_1_3.txt": ("Having the function would be great.", "> "),
    "email_1_4.txt": ("Awesome! I haven't had another problem with it.", "wrote:"),
    "email_1_5.txt": ("Here is another bullet point", "wrote:"),
    "email_1_6.txt": ("I get proper rendering as well.", "Was this caching related"),
    "email_1_7.txt": (":+1:", "Steps 0-2 are in prod"),
    "email_1_8.txt": ("I will reply under this one\n\nand under this.", "okay?"),
    "email_2_1.txt": ("Outlook with a reply", "Google Apps Sync"),
    "email_2_2.txt": ("Outlook with a reply directly above line", "From:"),
    "email_2_3.txt": ("Outlook with a reply directly above line", "From:"),
    "email_BlackBerry.txt": ("Here is another email", "BlackBerry"),
    "email_bullets.txt": ("   - how about bullets\n   - and another", "wrote:"),
    "email_iPhone.txt": ("Here is another email", "iPhone"),
    "email_long_quote.txt": ("What is the best way to clear a Riak bucket", "wrote:"),
    "email_multi_word_sent_from_my_mobile_device.txt": ("Here is another email", "Sent from"),
    "email_one_is_not_on.txt": ("Locally (on development), when I run...", "wrote:"),
    "email_sent_from_my_not_signature.txt": (
        "Sent from my desk, is much easier then my mobile phone.", "\x00"),
    "email_sig_delimiter_in_middle_of_line.txt": (
        "And here is a fix -- this is not a signature.\n\nkthxbai", "\x00"),
    "greedy_on.txt": ("This should connect to TextMate", "wrote:"),
    "pathological.txt": ("I will try to fix the problem as soon as I", "wrote:"),
    "email_1_1.txt": ("What is the best way to clear a Riak bucket", "\x00"),
}


def _read(relative: str) -> str:
    return (corpus_dir() / relative).read_text(encoding="utf-8", errors="replace")


def test_every_text_body_of_the_corpus_is_covered():
    names = {path.rsplit("/", 1)[-1] for path in manifest("text-body")
             if path.startswith("email_reply_parser/")}
    assert names == set(TEXT_BODIES)


@pytest.mark.parametrize("name", sorted(TEXT_BODIES))
def test_text_bodies_lose_quoted_history(name):
    keep, gone = TEXT_BODIES[name]
    text = quote.reply_text(_read(f"email_reply_parser/test/emails/{name}"))
    assert keep in text
    assert gone not in text


def test_html_bodies_lose_quoted_history():
    paths = [p for p in manifest("html-body") if "/html_replies/" in p]
    assert len(paths) == 9
    for path in paths:
        text = quote.html_reply_text(_read(path))
        assert text.startswith(HTML_KEEP), path
        assert HTML_QUOTED not in text, path
        assert "Sasha" not in text and "@" not in text, path


def test_outlook_source_section_and_hr_separated_replies():
    assert quote.html_reply_text(_read("talon/tests/fixtures/OLK_SRC_BODY_SECTION.html")) == \
        "Reply"
    text = quote.html_reply_text(_read("talon/tests/fixtures/reply-separated-by-hr.html"))
    assert text.startswith("Hi") and "Bob" in text and "From:" not in text


def _expected(name: str) -> str:
    """The talon *_reply_text file, without the signature: the gateway strips signatures
    ("Sent from my iPhone", the "-- " block), which talon's expected texts keep."""
    lines = _read(TALON + name).replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() == "--" or line.startswith("Sent from my"):
            lines = lines[:index]
            break
    return "\n".join(lines).strip()


@pytest.mark.parametrize("name", [p.rsplit("/", 1)[-1] for p in (
    "android.eml", "aol.eml", "apple_mail.eml", "apple_mail_2.eml", "comcast.eml",
    "gmail.eml", "hotmail.eml", "iphone.eml", "outlook.eml", "sparrow.eml",
    "thunderbird.eml", "yahoo.eml")])
def test_talon_standard_replies_keep_only_the_reply(name):
    parsed = parse.parse_message((corpus_dir() / (TALON + name)).read_bytes())
    text = reply_body(parsed)
    assert text == "Hello"
    if name in ("iphone.eml", "sparrow.eml"):
        assert text == _expected(name.replace(".eml", "_reply_text"))


def test_talon_share_block_reply():
    raw = (corpus_dir() / "talon/tests/fixtures/reply-quotations-share-block.eml").read_bytes()
    text = reply_body(parse.parse_message(raw))
    assert text.startswith("Hi Katharine.") and text.endswith("Joe XXX")
    assert "New Booking Inquiry" not in text and "wrote:" not in text


@pytest.mark.parametrize("text, expected", [
    ("Gracias, ya funciona.\n\nEl lun, 3 mar 2025 a las 10:00, Soporte <s@x.example> "
     "escribió:\n> ¿Sigue el problema?", "Gracias, ya funciona."),
    ("Listo.\n\nDe: Soporte <s@x.example>\nEnviado: lunes, 3 de marzo de 2025 10:00\n"
     "Para: maria@acme.example\nAsunto: RE: [#ABC-123-45678] Audio\n\nTexto viejo",
     "Listo."),
    ("Done.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nold", "Done."),
    ("Fixed.\n\nOn Mon, Mar 3, 2025 at 10:00 AM Support <s@x.example>\nwrote:\n\n> old",
     "Fixed."),
    ("Ok.\n\n-- \nMaría García\nAcme Telecom", "Ok."),
    ("Recibido.\n\n________________________________\nDe: Soporte <s@x.example>\n"
     "Enviado el: martes, 4 de marzo de 2025 9:12\nPara: Juan\nAsunto: RE: x\n\nviejo",
     "Recibido."),
    ("Thanks!\n\n*From:* Support [mailto:s@x.example]\n*Sent:* Friday\n*To:* me\n\nold",
     "Thanks!"),
    ("Yes.\n\nEl 3 mar 2025, a las 10:00, Soporte <s@x.example> escribió:\n\n> ¿Va?",
     "Yes."),
    ("Ok.\n\nEnviado desde mi iPhone", "Ok."),
])
def test_spanish_and_english_quote_headers(text, expected):
    assert quote.reply_text(text) == expected


@pytest.mark.parametrize("quote_html", [
    '<div class="gmail_quote"><div class="gmail_attr">On Mon, X wrote:</div>'
    '<blockquote class="gmail_quote">old text</blockquote></div>',
    '<blockquote type="cite">On 3 Mar 2025, at 10:00, X wrote:<br>old text</blockquote>',
    '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr">'
    '<b>From:</b> X<br><b>Sent:</b> Monday</div><div>old text</div>',
    '<div class="OutlookMessageHeader"><b>From:</b> X<br><b>Sent:</b> Monday</div>old text',
    '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
    '<p><b>De:</b> Soporte<br><b>Enviado el:</b> lunes</p></div><p>old text</p>',
    '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg">From: X</div>old text',
    '<div class="yahoo_quoted">On Monday, X wrote: old text</div>',
    '<div class="moz-cite-prefix">On 03/03/2025 10:00, X wrote:<br></div>'
    '<blockquote cite="mid:x@y">old text</blockquote>',
])
def test_html_quote_markup_of_common_clients(quote_html):
    html = f"<html><body><div>Solved, thanks!</div><div><br></div>{quote_html}</body></html>"
    assert quote.html_reply_text(html) == "Solved, thanks!"


def test_forwarded_messages_are_kept_whole():
    text = ("FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Carrier NOC "
            "<noc@carrier.example>\nDate: Mon, 3 Mar 2025\nSubject: Outage\nTo: us\n\n"
            "Trunk 4 is down.")
    assert quote.reply_text(text) == text
    raw = (corpus_dir() / "django-helpdesk/tests/test_files/utf-nondecodable.eml").read_bytes()
    assert "Forwarded Message" in reply_body(parse.parse_message(raw))
    assert len(reply_body(parse.parse_message(raw))) > 200


def test_a_message_that_is_only_a_signature_is_kept():
    assert quote.reply_text("\n--\nJørn Støylen\n924 38 051") == "--\nJørn Støylen\n924 38 051"
