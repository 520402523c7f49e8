"""Where the session's local cluster kubeconfig goes, for pytest-kubernetes to read."""

from pathlib import Path

import pytest

LOCAL_CLUSTER_KUBECONFIG = pytest.StashKey[Path]()
