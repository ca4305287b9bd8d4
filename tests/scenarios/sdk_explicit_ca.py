"""The OpenAI-compatible origin through the proxy, with the corporate root given explicitly: the
openai SDK (models, a completion, a stream) and litellm (sync and async) get its reply.

    sdk_explicit_ca.py BASE_URL CAFILE
"""

import asyncio
import json
import ssl
import sys

import litellm
import openai

base, cafile = sys.argv[1:]
messages = [{"role": "user", "content": "hi"}]
out: dict[str, object] = {}
client = openai.OpenAI(
    base_url=base,
    api_key="sk-test",
    http_client=openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=cafile)),
)
out["openai_models"] = [m.id for m in client.models.list()]
reply = client.chat.completions.create(model="gpt-test", messages=messages)  # type: ignore[arg-type]
out["openai"] = reply.choices[0].message.content
stream = client.chat.completions.create(model="gpt-test", messages=messages, stream=True)  # type: ignore[arg-type]
out["openai_stream"] = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

# litellm's OpenAI provider ignores the per-call ssl_verify when building its httpx client;
# the module-level setting is what reaches it.
litellm.ssl_verify = cafile
kw = dict(model="openai/gpt-test", api_base=base, api_key="sk-test", messages=messages, ssl_verify=cafile)
out["litellm"] = litellm.completion(**kw).choices[0].message.content
out["litellm_async"] = asyncio.run(litellm.acompletion(**kw)).choices[0].message.content
print(json.dumps(out))
