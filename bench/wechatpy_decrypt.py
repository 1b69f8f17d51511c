"""Times wechatpy on the pushes saoma-bench wrote: decrypt_message + parse_message per push.

Usage: python3 wechatpy_decrypt.py MESSAGES.jsonl TOKEN ENCODING_AES_KEY APP_ID MIN_SECONDS
Prints one JSON line: {"library": ..., "ops_per_sec": ..., "iterations": ...}.
Whole passes over the messages until MIN_SECONDS have passed, on one core.
"""

import json
import sys
import time
from importlib.metadata import version

from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto


def main() -> None:
    path, token, key, app_id, min_seconds = sys.argv[1:6]
    with open(path, encoding="utf-8") as f:
        pushes = [json.loads(line) for line in f]
    crypto = WeChatCrypto(token, key, app_id)
    done = 0
    started = time.perf_counter()
    while True:
        for p in pushes:
            xml = crypto.decrypt_message(p["xml"], p["msg_signature"], p["timestamp"], p["nonce"])
            message = parse_message(xml)
            if message.type != "text":
                raise SystemExit(f"not a text message: {message.type}")
            done += 1
        if time.perf_counter() - started >= float(min_seconds):
            break
    took = time.perf_counter() - started
    print(json.dumps({
        "library": f"wechatpy {version('wechatpy')}",
        "ops_per_sec": done / took,
        "iterations": done,
    }))


if __name__ == "__main__":
    main()
