"""incident mcp driven by the Python MCP client (PyPI `mcp`), a second client implementation.

Usage: python3 scripts/mcp-interop.py PATH/TO/incident   (make mcp-interop sets it up)
Runs in a temporary git repo: initialise, list tools, log -> incident, a gate failure, an
advance with answers, resources and the prompt. Exits 1 naming the first check that fails.
"""
import asyncio
import os
import subprocess
import sys
import tempfile

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

LOG = (
    "2025-09-09 02:25:04.512 | INFO     | app.smd:startup:1 - Starting up with token "
    "ghp_Q8mZ3vR7tL2xK9wB4nY6cD1fH5jP0sA8eU3i\n"
    "2025-09-09 02:25:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed. Failed services: [redis]\n"
)


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


async def main(binary, repo):
    params = StdioServerParameters(command=binary, args=["mcp"], cwd=repo, env={"PATH": os.environ["PATH"], "HOME": repo})
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(init.server_info.name == "incident", "initialize names the server")
            names = [tool.name for tool in (await session.list_tools()).tools]
            check("advance_incident" in names and "stage_fields" in names, "tools/list")
            created = await session.call_tool("new_incident", {"log_text": LOG})
            check(not created.is_error and created.structured_content["stage"] == "five-whys", "new_incident")
            check("ghp_" not in created.content[0].text, "the token is redacted")
            ref = created.structured_content["id"]
            fields = await session.call_tool("stage_fields", {"ref": ref})
            check(fields.structured_content["schema"]["required"] == ["whys", "root_cause"], "stage_fields schema")
            gate = await session.call_tool("advance_incident", {"ref": ref, "answers": {"whys": ["a"]}})
            check(gate.is_error and gate.structured_content["error"] == "gate", "a gate failure is a tool error")
            answers = {"whys": ["a", "b", "c"], "root_cause": "r"}
            done = await session.call_tool("advance_incident", {"ref": ref, "answers": answers})
            check(not done.is_error and done.structured_content["stage_now"] == "test-plan", "advance_incident")
            resources = (await session.list_resources()).resources
            check(any(str(r.uri).startswith("incident://incidents/") for r in resources), "resources/list")
            prompt = await session.get_prompt("work_incident", {"ref": ref})
            check(ref in prompt.messages[0].content.text, "prompts/get")
    text = open(os.path.join(repo, "incidents", os.listdir(os.path.join(repo, "incidents"))[0])).read()
    check("by: agent:mcp" in text, "the Python client's name is recorded as the author")


if __name__ == "__main__":
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as repo:
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        subprocess.run([binary, "init"], cwd=repo, check=True, stdout=subprocess.DEVNULL)
        asyncio.run(main(binary, repo))
