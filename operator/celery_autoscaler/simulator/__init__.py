"""Replays arrival traces against our policy and against an emulation of KEDA + HPA."""
