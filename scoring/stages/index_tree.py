"""Stage 6, hierarchical index: items → sub-dimensions → dimensions → overall per community,
and who may be published (suppression below ``min_n``, a note below ``flag_n``, ranks)."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.aggregate import TreeScores, aggregate_tree
from scoring.framework import Framework
from scoring.rank import Publication, publication
from scoring.stages.aggregates import Aggregates
from scoring.stages.dimension_weights import ResolvedWeights
from scoring.weight_model import WeightModel


@dataclass(frozen=True)
class IndexTree:
    """Node ``scores`` of every community and the ``publication`` decision on each."""

    scores: TreeScores
    publication: Publication


def hierarchical_index(
    framework: Framework,
    model: WeightModel,
    agg: Aggregates,
    weights: ResolvedWeights,
) -> IndexTree:
    """Aggregate the item means up the tree, then suppress, flag and rank on the index."""
    tree = aggregate_tree(agg.index_means, framework, weights.spec)
    pub = publication(tree.overall, agg.n_answering, min_n=model.min_n, flag_n=model.flag_n)
    return IndexTree(tree, pub)
