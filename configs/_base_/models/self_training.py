# Self-training (qmat's SelfTrainingMaskRCNN) for schedules of 4,000-6,000 iterations: merge it as
# model = dict(type='SelfTrainingMaskRCNN', self_training={{_base_.self_training}}).
# The teacher starts at iteration 1,000 and follows the student slowly (momentum 0.999: a time constant of
# 1,000 steps); a detection becomes a pseudo-label at score 0.7 when it overlaps no annotation by IoU 0.3
# or more, at most 3 per image (about the flakes a 50 % annotator misses in a paper-graphene image).
# A faster, laxer teacher (0.99, 0.5, no cap) ran away on unannotated clutter (docs/method.md).
self_training = dict(score_thr=0.7, iou_thr=0.3, burn_in=1000, momentum=0.999, max_per_image=3)
