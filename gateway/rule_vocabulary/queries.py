import strawberry

from gateway.context import Info
from gateway.permissions import Allow
from gateway.rule_vocabulary.types import RuleVocabulary
from gateway.rule_vocabulary.vocabulary import vocabulary


@strawberry.type
class RuleVocabularyQueries:
    @strawberry.field(permission_classes=[Allow("rules.read")],
                      description="What a rule may read and do: the rule builder's fields, operators and actions.")
    def rule_vocabulary(self, info: Info, program: str) -> RuleVocabulary:
        return vocabulary()
