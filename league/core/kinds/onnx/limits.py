"""The bounds an ONNX policy must stay within: what an upload may hold and how fast it must play.

One pydantic-settings class, read from `LEAGUE_ONNX_*` environment variables (an empty variable
counts as unset). The defaults accept what exporters write for MLPs, GRU/LSTM cells and
normalisation layers (a 256-unit MLP takes well under a millisecond a step) and refuse the
hostile files the checks were built against.
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OnnxLimits(BaseSettings):
    """Every bound of the `onnx` kind. Environment variables are named `LEAGUE_ONNX_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="LEAGUE_ONNX_", extra="ignore")

    # -- what the file may hold (checked from the bytes alone) --
    max_bytes: int = Field(16 * 2**20, gt=0, description="largest .onnx file accepted")
    max_nodes: int = Field(2000, gt=0, description="most operator nodes in the graph")
    max_parameters: int = Field(4_000_000, gt=0, description="most numbers in initializers and constants")
    max_state_size: int = Field(4096, gt=0, description="widest recurrent state (the state input's H)")
    max_work_per_row: int = Field(16_000_000, gt=0,
                                  description="most multiply-adds plus elements produced per observation")
    max_elements_per_row: int = Field(262_144, gt=0, description="largest tensor, in elements per observation")
    min_opset: int = Field(13, gt=0, description="oldest standard opset accepted")

    # -- the child process that runs a model (trial and play) --
    memory_mb: int = Field(1024, gt=0, description="address-space limit of the process running a model")
    load_seconds: float = Field(30.0, gt=0, description="time to start the process and load the model")
    trial_cpu_seconds: int = Field(60, gt=0, description="CPU time of a trial run, loading included")

    # -- time budgets --
    trial_budget_ms: float = Field(50.0, gt=0, description="median time of one batch of 1 or 64 in the trial")
    step_budget_ms: float = Field(50.0, gt=0, description="average time a batched step may take in play")
    step_grace_ms: float = Field(1000.0, ge=0, description="extra time a batch of games may use in all")
    step_limit_ms: float = Field(1000.0, gt=0, description="the most one batched step may ever take")

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str) and not value.strip() and info.field_name:
            return cls.model_fields[info.field_name].default
        return value
