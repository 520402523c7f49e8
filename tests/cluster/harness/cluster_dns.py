"""CoreDNS for the test cluster, as a pod on the real node behind the `kube-dns` Service.

It serves the `cluster.local` zone only, from the Kubernetes API: there is no `forward`
plugin, so no lookup from a pod ever leaves the machine; any other name gets REFUSED.
"""

from __future__ import annotations

from typing import Any

COREDNS_IMAGE = "localhost/jobplatform/coredns:1.12.1"
CLUSTER_DOMAIN = "cluster.local"
# Unprivileged: the pod listens on 1053 and the Service maps 53 to it.
POD_PORT = 1053

COREFILE = f"""{CLUSTER_DOMAIN}:{POD_PORT} {{
    errors
    health :8080
    ready :8181
    kubernetes {CLUSTER_DOMAIN} {{
        pods insecure
    }}
    cache 10
}}
"""


def manifests(dns_ip: str, node_selector: dict[str, str], toleration: dict[str, str]) -> list[Any]:
    labels = {"k8s-app": "kube-dns"}
    meta = {"name": "coredns", "namespace": "kube-system"}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:coredns"},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["endpoints", "services", "pods", "namespaces"],
                    "verbs": ["list", "watch"],
                },
                {
                    "apiGroups": ["discovery.k8s.io"],
                    "resources": ["endpointslices"],
                    "verbs": ["list", "watch"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:coredns"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:coredns",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}],
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta,
            "data": {"Corefile": COREFILE},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {**meta, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "coredns",
                        # Its own lookups would go to itself: it resolves nothing upstream.
                        "dnsPolicy": "Default",
                        "nodeSelector": node_selector,
                        "tolerations": [toleration],
                        "containers": [
                            {
                                "name": "coredns",
                                "image": COREDNS_IMAGE,
                                "imagePullPolicy": "Never",
                                "args": ["-conf", "/etc/coredns/Corefile"],
                                "ports": [
                                    {"containerPort": POD_PORT, "protocol": "UDP", "name": "dns"},
                                    {
                                        "containerPort": POD_PORT,
                                        "protocol": "TCP",
                                        "name": "dns-tcp",
                                    },
                                ],
                                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181}},
                                "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}},
                                "securityContext": {
                                    "runAsNonRoot": True,
                                    "readOnlyRootFilesystem": True,
                                    "allowPrivilegeEscalation": False,
                                    "capabilities": {"drop": ["ALL"]},
                                },
                                "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns"}],
                            }
                        ],
                        "volumes": [{"name": "config", "configMap": {"name": "coredns"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": labels},
            "spec": {
                "clusterIP": dns_ip,
                "selector": labels,
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": POD_PORT},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": POD_PORT},
                ],
            },
        },
    ]
