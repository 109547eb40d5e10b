# ruff: noqa: N802 (the methods are the gRPC service's)
"""A pack that speaks the analyzer protocol by hand and answers as `LIAR_MODE` says.

Only the container resource named `web` gets an answer other than "nothing found".
Modes: `ok` (one mandatory policy, no findings), `unknown-level` (a violation at level 7),
`info-unknown-level` (GetAnalyzerInfo announces level 9), `unannounced` (a violation from a
policy it never announced), `foreign-urn` (a violation about a resource not in the stack),
`no-policies`, `duplicate-policy`, `disabled-violation`, `not-applicable` (the mandatory policy
says it does not apply, with `LIAR_REASON` as its reason), `stack-not-applicable` (the same
from AnalyzeStack), `detached-helper` (starts a helper in a session of its own that holds
stdout and stderr, then exits without a port), `group-helper` (starts a helper in its own
process group that holds stdout, writes its pid to `LIAR_PIDFILE`, then serves as `ok`).
"""

import os
import subprocess
import sys
import time
from concurrent import futures

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, plugin_pb2

MODE = os.environ.get("LIAR_MODE", "ok")
POLICY = "liar-container-check"
MANDATORY = analyzer_pb2.EnforcementLevel.Value("MANDATORY")


def diagnostic(level=MANDATORY, policy=POLICY, urn=""):
    return analyzer_pb2.AnalyzeDiagnostic(
        policyName=policy,
        policyPackName="liar",
        policyPackVersion="0.0.1",
        description="Containers are checked.",
        message="Containers are checked.\nthis one is not liked",
        enforcementLevel=level,
        urn=urn,
    )


class Liar(analyzer_pb2_grpc.AnalyzerServicer):
    def GetAnalyzerInfo(self, request, context):
        if MODE == "no-policies":
            return analyzer_pb2.AnalyzerInfo(name="liar", version="0.0.1")
        level = 9 if MODE == "info-unknown-level" else MANDATORY
        policies = [
            analyzer_pb2.PolicyInfo(
                name=POLICY, description="Containers are checked.", enforcementLevel=level
            )
        ]
        if MODE == "duplicate-policy":
            policies.append(policies[0])
        return analyzer_pb2.AnalyzerInfo(
            name="liar", version="0.0.1", policies=policies, supportsConfig=True
        )

    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version="0.0.1")

    def Configure(self, request, context):
        return empty_pb2.Empty()

    def ConfigureStack(self, request, context):
        return analyzer_pb2.AnalyzerStackConfigureResponse()

    def Analyze(self, request, context):
        response = analyzer_pb2.AnalyzeResponse()
        if request.type != "docker:index/container:Container" or request.name != "web":
            return response
        if MODE == "unknown-level":
            response.diagnostics.append(diagnostic(level=7))
        elif MODE == "unannounced":
            response.diagnostics.append(diagnostic(policy="liar-ghost"))
        elif MODE == "foreign-urn":
            response.diagnostics.append(diagnostic(urn="urn:pulumi:elsewhere::x::t::n"))
        elif MODE == "disabled-violation":
            response.diagnostics.append(
                diagnostic(level=analyzer_pb2.EnforcementLevel.Value("DISABLED"))
            )
        elif MODE == "not-applicable":
            response.not_applicable.append(
                analyzer_pb2.PolicyNotApplicable(
                    policy_name=POLICY, reason=os.environ.get("LIAR_REASON", "")
                )
            )
        return response

    def AnalyzeStack(self, request, context):
        response = analyzer_pb2.AnalyzeResponse()
        if MODE == "stack-not-applicable":
            response.not_applicable.append(
                analyzer_pb2.PolicyNotApplicable(
                    policy_name=POLICY, reason=os.environ.get("LIAR_REASON", "")
                )
            )
        return response


helper = [sys.executable, "-c", "import time; time.sleep(60)"]
if MODE == "detached-helper":
    subprocess.Popen(helper, start_new_session=True)  # inherits stdout and stderr
    sys.exit(3)
if MODE == "group-helper":
    child = subprocess.Popen(helper)  # same process group, inherits stdout
    with open(os.environ["LIAR_PIDFILE"], "w") as pidfile:
        pidfile.write(str(child.pid))

server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
analyzer_pb2_grpc.add_AnalyzerServicer_to_server(Liar(), server)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
while True:
    time.sleep(3600)
