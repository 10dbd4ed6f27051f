from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bmad.daemon.rpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    Params,
    handle_message,
    require,
)
from bmad.errors import BmadError


def echo(params: Params) -> Any:
    return {"said": require(params, "text", str)}


def broken(params: Params) -> Any:
    raise RuntimeError("secret detail")


def refused(params: Params) -> Any:
    raise BmadError("not now")


METHODS = {"echo": echo, "broken": broken, "refused": refused}


def reply(raw: bytes | str) -> Any:
    data = raw.encode() if isinstance(raw, str) else raw
    answer = handle_message(data, METHODS)
    assert answer is None or answer.endswith(b"\n")
    return None if answer is None else json.loads(answer)


def test_success() -> None:
    answer = reply('{"jsonrpc":"2.0","id":7,"method":"echo","params":{"text":"hi"}}')
    assert answer == {"jsonrpc": "2.0", "id": 7, "result": {"said": "hi"}}


def test_error_codes() -> None:
    assert reply("{not json")["error"]["code"] == PARSE_ERROR
    assert reply(b"\xff\xfe")["error"]["code"] == PARSE_ERROR
    assert reply('"text"')["error"]["code"] == INVALID_REQUEST
    assert reply('{"id":1,"method":"echo"}')["error"]["code"] == INVALID_REQUEST
    assert reply('{"jsonrpc":"2.0","id":{},"method":"echo"}')["error"]["code"] == INVALID_REQUEST
    assert reply('{"jsonrpc":"2.0","id":1,"method":5}')["error"]["code"] == INVALID_REQUEST
    assert reply("[]")["error"]["code"] == INVALID_REQUEST
    unknown = reply('{"jsonrpc":"2.0","id":1,"method":"nope"}')
    assert unknown["error"]["code"] == METHOD_NOT_FOUND and unknown["id"] == 1
    for params in ('{"text":3}', "{}", "[1]", '"x"'):
        answer = reply(f'{{"jsonrpc":"2.0","id":2,"method":"echo","params":{params}}}')
        assert answer["error"]["code"] == INVALID_PARAMS
    internal = reply('{"jsonrpc":"2.0","id":3,"method":"broken"}')
    assert internal["error"] == {"code": INTERNAL_ERROR, "message": "internal error"}
    assert reply('{"jsonrpc":"2.0","id":4,"method":"refused"}')["error"]["message"] == "not now"


def test_notifications_get_no_reply_and_batches_mix() -> None:
    assert reply('{"jsonrpc":"2.0","method":"echo","params":{"text":"x"}}') is None
    batch = reply(
        '[{"jsonrpc":"2.0","id":1,"method":"echo","params":{"text":"a"}},'
        '{"jsonrpc":"2.0","method":"echo","params":{"text":"b"}},'
        '{"jsonrpc":"2.0","id":2,"method":"missing"}, 5]'
    )
    assert [item.get("id") for item in batch] == [1, 2, None]
    assert batch[0]["result"] == {"said": "a"}
    assert batch[1]["error"]["code"] == METHOD_NOT_FOUND
    assert batch[2]["error"]["code"] == INVALID_REQUEST


@given(st.binary(max_size=200))
def test_any_bytes_get_a_json_reply_or_none(raw: bytes) -> None:
    answer = handle_message(raw, METHODS)
    if answer is not None:
        document = json.loads(answer)
        assert isinstance(document, dict | list)
