"""A real Kubernetes control plane on loopback for the tests: etcd, kube-apiserver (RBAC and
admission on), kube-controller-manager, kube-scheduler and kwok's fake nodes."""
