"""Reading a model's JSON reply: prose streamed out of it as it arrives, and the object at the
end."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from pydantic import BaseModel

from assistant.core.results import TextSink


class ProseStream:
    """Feeds the ``title`` and ``text`` string values of a JSON reply to a sink as they arrive,
    so prose can be shown while the model is still writing its JSON."""

    _ESCAPES: ClassVar[dict[str, str]] = {
        "n": "\n",
        "t": "\t",
        "r": "",
        '"': '"',
        "\\": "\\",
        "/": "/",
        "b": "",
        "f": "",
    }

    def __init__(self, sink: TextSink | None) -> None:
        self.sink = sink
        self.buf = ""
        self.pos = 0
        self.in_string = False
        self.current = ""
        self.last_string = ""
        self.key: str | None = None  # the key whose value comes next
        self.value_of: str | None = None  # the key of the string being read

    def feed(self, delta: str) -> None:
        if self.sink is None:
            return
        self.buf += delta
        while self.pos < len(self.buf):
            ch = self.buf[self.pos]
            if self.in_string:
                if ch == "\\":
                    nxt = self.buf[self.pos + 1 : self.pos + 2]
                    if not nxt:
                        return  # wait for the rest of the escape
                    if nxt == "u":
                        code = self.buf[self.pos + 2 : self.pos + 6]
                        if len(code) < 4:
                            return
                        out = chr(int(code, 16)) if re.fullmatch(r"[0-9a-fA-F]{4}", code) else ""
                        self.pos += 6
                    else:
                        out = self._ESCAPES.get(nxt, nxt)
                        self.pos += 2
                    self._char(out)
                    continue
                if ch == '"':
                    self._end_string()
                else:
                    self._char(ch)
            elif ch == '"':
                self.in_string, self.current = True, ""
                self.value_of, self.key = self.key, None
            elif ch == ":":
                self.key = self.last_string
            elif ch in ",{}[]":
                self.key = None
            self.pos += 1

    def _char(self, text: str) -> None:
        self.current += text
        if self.value_of == "text" and self.sink:
            self.sink(text)

    def _end_string(self) -> None:
        self.in_string = False
        if self.value_of == "title" and self.sink:
            self.sink(f"\n\n## {self.current}\n\n")
        self.last_string = self.current
        self.value_of = None


class ReplySection(BaseModel):
    title: str
    text: str
    customer_facing: bool = True


class Reply(BaseModel):
    """The JSON object every writing prompt asks for."""

    sections: list[ReplySection]


def parse_json_reply(raw: str) -> dict[str, Any]:
    """The JSON object in a reply (tolerating a ```json fence); ValueError if there is none."""
    text = raw.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.S)
    if fence:
        text = fence.group(1)
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the reply is JSON but not an object")
    return data
