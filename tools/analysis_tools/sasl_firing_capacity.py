"""Can SASL-RPN's soft-label rule fire at all on this training set? A bound, no training needed.

    python tools/analysis_tools/sasl_firing_capacity.py CONFIG --train-ann ANN [--data-root DIR]

With L2-normalised embeddings, a negative's best attention over n keys is at most
e^(2/tau) / (e^(2/tau) + n - 1), so the threshold t is reachable only where a softmax group holds few keys
(qmat/evaluation/firing_capacity.py). Counts, as the RPN's assigner and sampler give them in training, the
keys per image (or per batch with scope='batch') for the paper's keys and for qmat's, with and without the
background key, and how many groups could reach the config's threshold. Takes t, tau and scope from the
config's SASLRPNHead (change them with --cfg-options model.rpn_head.threshold=0.6 ...).
"""


def parse_args(argv=None):
    from qmat.evaluation.training_pass import training_pass_parser
    return training_pass_parser('Whether the SASL soft-label rule can fire on a training set',
                                checkpoint=False).parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.evaluation.firing_capacity import firing_capacity, keys_per_group, max_keys_to_fire
    from qmat.evaluation.training_pass import training_pass_of, write_pass_result
    from qmat.utils import UserInputError
    from qmat.utils.tables import markdown_table

    model, batches = training_pass_of(args)
    head = model.rpn_head
    if not hasattr(head, 'rule'):
        raise UserInputError(f'{args.config}: model.rpn_head is {type(head).__name__}, not SASLRPNHead')
    rule = head.rule
    if rule.norm != 'l2':  # unnormalised dot products are unbounded: any number of keys can reach t
        raise UserInputError(f"{args.config}: model.rpn_head.norm is {rule.norm!r}; the bound holds for "
                             "norm='l2' only")
    groups = keys_per_group(model, batches, rule.scope)
    rows = firing_capacity(groups, rule.threshold, rule.temperature)
    limit = max_keys_to_fire(rule.threshold, rule.temperature)
    print(f't = {rule.threshold}, tau = {rule.temperature}, scope {rule.scope}: max_j A_ij >= t needs at '
          f'most {limit:.2f} keys in a group; the config uses keys={rule.keys}, background={rule.background}')
    print('\n'.join(markdown_table(('keys', 'keys per group: median (min-max)', 'groups that can reach t'), (
        (row['name'], f'{row["median"]:g} ({row["min"]}-{row["max"]})',
         f'{row["can_fire"]} of {row["groups"]}') for row in rows))))
    write_pass_result(args, dict(rows=rows, groups=groups, max_keys=limit, threshold=rule.threshold,
                                 temperature=rule.temperature, scope=rule.scope))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
