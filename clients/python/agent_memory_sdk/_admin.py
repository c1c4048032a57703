"""Health, metrics, summary views, background tasks and user erasure."""

from __future__ import annotations

from typing import Any

from agent_memory_sdk._base import OpsBase
from agent_memory_sdk._core import Op, Sleep, call, parse, received
from agent_memory_sdk.exceptions import UnavailableError
from agent_memory_sdk.models import (
    AckResponse,
    CreateSummaryViewRequest,
    ErasureResponse,
    HealthCheckResponse,
    LivenessResponse,
    ReadinessResponse,
    SummaryView,
    SummaryViewPartitionResult,
    Task,
    TaskStatusEnum,
)

VIEW = "/v1/summary-views/{view_id}"
NOT_FOUND = frozenset({404})
FINISHED = (TaskStatusEnum.COMPLETED, TaskStatusEnum.FAILED)


class AdminOps(OpsBase):
    def health_check(self) -> Op[HealthCheckResponse]:
        """Server time in epoch milliseconds."""
        return parse(HealthCheckResponse, (yield call("GET", "/v1/health")))

    def legacy_health_check(self) -> Op[HealthCheckResponse]:
        """Server time in epoch seconds (the original /health route)."""
        return parse(HealthCheckResponse, (yield call("GET", "/health")))

    def liveness(self) -> Op[LivenessResponse]:
        return parse(LivenessResponse, (yield call("GET", "/v1/health/live")))

    def readiness(self) -> Op[ReadinessResponse]:
        """Whether Redis and a task worker are up; a 'not ready' answer is returned, not raised."""
        reply = yield call("GET", "/v1/health/ready", answers=frozenset({503}))
        return parse(ReadinessResponse, reply)

    def metrics(self) -> Op[str]:
        """The server's Prometheus metrics, as text."""
        return received((yield call("GET", "/metrics"))).text

    def list_summary_views(self) -> Op[list[SummaryView]]:
        reply = received((yield call("GET", "/v1/summary-views")))
        return [SummaryView.model_validate(view) for view in reply.body]

    def create_summary_view(
        self, request: CreateSummaryViewRequest | dict[str, Any]
    ) -> Op[SummaryView]:
        if isinstance(request, CreateSummaryViewRequest):
            body = request.model_dump(mode="json", exclude_none=True)
        else:
            body = request
        return parse(SummaryView, (yield call("POST", "/v1/summary-views", json=body)))

    def get_summary_view(self, view_id: str) -> Op[SummaryView | None]:
        """The view, or None when there is none (as 0.14)."""
        reply = received((yield call("GET", VIEW, answers=NOT_FOUND, view_id=view_id)))
        return None if reply.status == 404 else parse(SummaryView, reply)

    def delete_summary_view(self, view_id: str) -> Op[AckResponse]:
        return parse(AckResponse, (yield call("DELETE", VIEW, view_id=view_id)))

    def run_summary_view_partition(
        self, view_id: str, group: dict[str, str]
    ) -> Op[SummaryViewPartitionResult]:
        """Summarize one partition now (a value for each group_by field) and store it."""
        reply = yield call("POST", VIEW + "/partitions/run", json={"group": group},
                           view_id=view_id)  # fmt: skip
        return parse(SummaryViewPartitionResult, reply)

    def list_summary_view_partitions(
        self,
        view_id: str,
        namespace: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        memory_type: str | None = None,
    ) -> Op[list[SummaryViewPartitionResult]]:
        params = {"namespace": namespace, "user_id": user_id, "session_id": session_id,
                  "memory_type": memory_type}  # fmt: skip
        reply = received((yield call("GET", VIEW + "/partitions", params, view_id=view_id)))
        return [SummaryViewPartitionResult.model_validate(p) for p in reply.body]

    def run_summary_view(self, view_id: str, force: bool = False) -> Op[Task]:
        """Recompute every partition in the background; poll with get_task or wait_for_task."""
        reply = yield call("POST", VIEW + "/run", json={"force": force}, view_id=view_id)
        return parse(Task, reply)

    def get_task(self, task_id: str) -> Op[Task | None]:
        """The task, or None when there is none (as 0.14)."""
        reply = received(
            (yield call("GET", "/v1/tasks/{task_id}", answers=NOT_FOUND, task_id=task_id))
        )
        return None if reply.status == 404 else parse(Task, reply)

    def wait_for_task(self, task_id: str, timeout: float = 60.0, interval: float = 0.2) -> Op[Task]:
        """Poll a task until it completed or failed; UnavailableError after `timeout` s."""
        waited = 0.0
        while True:
            task = yield from self.get_task(task_id)
            if task is not None and task.status in FINISHED:
                return task
            if waited >= timeout:
                raise UnavailableError(f"task {task_id} did not finish in {timeout} s", None)
            yield Sleep(interval)
            waited += interval

    def erase_user(self, user_id: str, namespace: str | None = None) -> Op[ErasureResponse]:
        """Delete a user's sessions, long-term memories and per-user summaries (GDPR)."""
        reply = yield call("DELETE", "/v1/users/{user_id}", {"namespace": namespace},
                           user_id=user_id)  # fmt: skip
        return parse(ErasureResponse, reply)
