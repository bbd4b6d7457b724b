from uat.models.cycles import CycleScenario, TestCycle
from uat.models.defects import Attachment, Defect, DefectComment, DefectEvent
from uat.models.executions import TestExecution
from uat.models.scenarios import ScenarioStep, TestScenario
from uat.models.signoffs import (
    SealedRecordError,
    Signatory,
    Signature,
    SignOff,
    SignoffLedger,
    SignoffPdf,
)

__all__ = [
    "Attachment",
    "CycleScenario",
    "Defect",
    "DefectComment",
    "DefectEvent",
    "ScenarioStep",
    "SealedRecordError",
    "SignOff",
    "Signatory",
    "Signature",
    "SignoffLedger",
    "SignoffPdf",
    "TestCycle",
    "TestExecution",
    "TestScenario",
]
