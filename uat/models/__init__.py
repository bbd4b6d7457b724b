from uat.models.cycles import CycleScenario, TestCycle
from uat.models.defects import Attachment, Defect, DefectComment, DefectEvent
from uat.models.executions import TestExecution
from uat.models.scenarios import ScenarioStep, TestScenario

__all__ = [
    "Attachment",
    "CycleScenario",
    "Defect",
    "DefectComment",
    "DefectEvent",
    "ScenarioStep",
    "TestCycle",
    "TestExecution",
    "TestScenario",
]
