"""Keeping a two-stage detector's RPN proposals in its validation and test outputs."""
from typing import List

from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.structures import InstanceData


@HOOKS.register_module()
class RecordProposalsHook(Hook):
    """Attach the RPN's proposals, in original image coordinates, to every output data sample of
    validation and testing as ``proposals``, for :class:`~qmat.evaluation.ProposalRecallMetric`.

    mmdet's two-stage ``predict`` passes the proposals to the RoI head and drops them; this hook wraps the
    model's ``rpn_head.predict`` for the epoch to keep a copy (its boxes divided by each image's
    ``scale_factor``, as ``rescale=True`` would) and its ``val_step`` / ``test_step`` to attach it. Nothing
    changes in what the detector computes. Usage::

        custom_hooks = [dict(type='RecordProposalsHook')]
        val_evaluator = [dict(type='CocoMetric', ...), dict(type='ProposalRecallMetric')]
    """
    priority = 'NORMAL'
    STEPS = ('val_step', 'test_step')

    def before_val_epoch(self, runner) -> None:
        self._wrap(runner)

    def before_test_epoch(self, runner) -> None:
        self._wrap(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._unwrap(runner)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._unwrap(runner)

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def _wrap(self, runner) -> None:
        model = self._model(runner)
        if not hasattr(model, 'rpn_head'):
            raise ValueError(f'RecordProposalsHook needs a detector with an rpn_head, not '
                             f'{type(model).__name__}')
        rpn, recorded = model.rpn_head, []
        predict = type(rpn).predict.__get__(rpn)

        def recording_predict(x, batch_data_samples, rescale: bool = False):
            results = predict(x, batch_data_samples, rescale=rescale)
            recorded[:] = [self._original_frame(r, s.metainfo, rescale)
                           for r, s in zip(results, batch_data_samples)]
            return results

        def attaching(step):
            def run(data) -> List:
                outputs = step(data)
                for sample, proposals in zip(outputs, recorded):
                    sample.proposals = proposals
                return outputs
            return run

        rpn.predict = recording_predict
        for name in self.STEPS:
            setattr(model, name, attaching(getattr(type(model), name).__get__(model)))

    def _unwrap(self, runner) -> None:
        model = self._model(runner)
        for owner, name in [(model.rpn_head, 'predict')] + [(model, step) for step in self.STEPS]:
            owner.__dict__.pop(name, None)

    @staticmethod
    def _original_frame(result: InstanceData, metainfo: dict, rescaled: bool) -> InstanceData:
        boxes = result.bboxes.detach()
        if not rescaled and 'scale_factor' in metainfo:
            boxes = boxes / boxes.new_tensor(metainfo['scale_factor']).repeat((1, 2))
        return InstanceData(bboxes=boxes, scores=result.scores.detach())
