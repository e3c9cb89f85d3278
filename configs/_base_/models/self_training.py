# Self-training (qmat's SelfTrainingMaskRCNN) for 2,000-iteration schedules: merge it as
# model = dict(type='SelfTrainingMaskRCNN', self_training={{_base_.self_training}}).
# The teacher starts at 40 % of the schedule, while the learning rate is still high (it drops at 50 %), and
# follows the student with a time constant of 100 steps; a detection becomes a pseudo-label at score 0.7
# when it overlaps no annotation by IoU 0.3 or more.
self_training = dict(score_thr=0.7, iou_thr=0.3, burn_in=800, momentum=0.99)
