"""The Kubernetes side of acting: read and set a Deployment's replicas, mark pods to go first,
find another autoscaler already targeting the Deployment, read the Redis Secret."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException

DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
DRAIN_COST = "-1000"  # below the default 0: the ReplicaSet deletes these pods first
MARKED_BY = "autoscaling.jobplatform.dev/drain"


def pod_name(hostname: str) -> str:
    """Celery's nodename is name@host and host is the pod name (the workers run `-n %h`-like)."""
    return hostname.rsplit("@", 1)[-1]


@dataclass
class KubernetesActuator:
    # Typed as Any: the generated client marks every model field Optional, which would turn
    # each read of a field the API always sets into a None check.
    apps: Any  # client.AppsV1Api
    core: Any  # client.CoreV1Api
    autoscaling: Any  # client.AutoscalingV2Api
    custom: Any  # client.CustomObjectsApi

    def current_replicas(self, namespace: str, deployment: str) -> int | None:
        try:
            scale = self.apps.read_namespaced_deployment_scale(deployment, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return int(scale.spec.replicas or 0)

    def scale(self, namespace: str, deployment: str, replicas: int) -> None:
        body = {"spec": {"replicas": replicas}}
        self.apps.patch_namespaced_deployment_scale(deployment, namespace, body)

    def mark_for_removal(self, namespace: str, hostnames: tuple[str, ...]) -> list[str]:
        """Annotate idle pods so the ReplicaSet removes them first; returns the pods marked."""
        marked = []
        for host in hostnames:
            patch = {"metadata": {"annotations": {DELETION_COST: DRAIN_COST, MARKED_BY: "true"}}}
            try:
                self.core.patch_namespaced_pod(pod_name(host), namespace, patch)
                marked.append(pod_name(host))
            except ApiException as exc:
                if exc.status != 404:  # a pod already gone needs no mark
                    raise
        return marked

    def clear_marks(self, namespace: str, selector: str, keep: list[str]) -> int:
        """Remove our marks from pods that survived (a scale-in was limited or undone)."""
        cleared = 0
        pods = self.core.list_namespaced_pod(namespace, label_selector=selector).items
        for pod in pods:
            notes = pod.metadata.annotations or {}
            if notes.get(MARKED_BY) and pod.metadata.name not in keep:
                patch = {"metadata": {"annotations": {DELETION_COST: None, MARKED_BY: None}}}
                self.core.patch_namespaced_pod(pod.metadata.name, namespace, patch)
                cleared += 1
        return cleared

    def crash_looping(self, namespace: str, selector: str) -> list[str]:
        """Pods of the pool with a container waiting in CrashLoopBackOff."""
        found = []
        for pod in self.core.list_namespaced_pod(namespace, label_selector=selector).items:
            for cs in (pod.status and pod.status.container_statuses) or []:
                waiting = cs.state and cs.state.waiting
                if waiting and waiting.reason == "CrashLoopBackOff":
                    found.append(pod.metadata.name)
                    break
        return found

    def selector(self, namespace: str, deployment: str) -> str:
        dep = self.apps.read_namespaced_deployment(deployment, namespace)
        labels = dep.spec.selector.match_labels or {}
        return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))

    def conflicting_scalers(self, namespace: str, deployment: str) -> list[str]:
        """HPAs and KEDA ScaledObjects that already scale this Deployment: reported, not fought."""
        found = []
        for hpa in self.autoscaling.list_namespaced_horizontal_pod_autoscaler(namespace).items:
            ref = hpa.spec.scale_target_ref
            if ref.kind == "Deployment" and ref.name == deployment:
                found.append(f"HorizontalPodAutoscaler/{hpa.metadata.name}")
        try:
            objs = self.custom.list_namespaced_custom_object(
                "keda.sh", "v1alpha1", namespace, "scaledobjects"
            )
        except ApiException as exc:
            if exc.status != 404:  # KEDA not installed
                raise
            objs = {"items": []}
        for obj in objs.get("items", []):
            ref = obj.get("spec", {}).get("scaleTargetRef", {})
            if ref.get("kind", "Deployment") == "Deployment" and ref.get("name") == deployment:
                name = obj["metadata"]["name"]
                if f"HorizontalPodAutoscaler/keda-hpa-{name}" in found:
                    found.remove(f"HorizontalPodAutoscaler/keda-hpa-{name}")
                found.append(f"ScaledObject/{name}")
        return found

    def secret_value(self, namespace: str, name: str, key: str) -> str | None:
        data = self.core.read_namespaced_secret(name, namespace).data or {}
        raw = data.get(key)
        return base64.b64decode(raw).decode() if raw is not None else None
