/* schema_regex_vm.c: runs schema patterns: the tree of schema_regex.c
 * compiled to a small program and run as a Thompson NFA over the bytes of
 * the string (every thread moves in lock step; no backtracking). Not
 * parsing ECMA-262 (schema_regex.c). Pure: no I/O, logging or globals.
 * Invariant: a program has at most SCHEMA_RE_INST_MAX instructions, so
 * compiling is bounded even where {m,n} copies its atom, and matching
 * costs at most (program size) x (string length + 1), every unit of it
 * counted against the caller's budget; the system regex library, whose
 * worst cases are not bounded, is not used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extmod/schema_int.h"

#define SCHEMA_RE_INST_MAX 20000

enum schema_vm_op {
	SCHEMA_VM_BYTE,             /* the byte lo */
	SCHEMA_VM_RANGE,            /* a byte in lo..hi (hi < lo: none) */
	SCHEMA_VM_SET,              /* an ASCII byte of sets[x] */
	SCHEMA_VM_SPLIT,            /* go on at x and at y */
	SCHEMA_VM_JMP,              /* go on at x */
	SCHEMA_VM_BOL,              /* only at the start */
	SCHEMA_VM_EOL,              /* only at the end */
	SCHEMA_VM_MATCH,
};

struct schema_vm_inst {
	unsigned char op, lo, hi;
	int x, y;
};

struct schema_regex {
	struct schema_vm_inst *prog;
	int n, cap;
	unsigned char (*sets)[16];
	int n_sets;
	/* matching state, kept between calls: the thread lists, the stack
	 * of the epsilon closure and the generation each pc was added in */
	int *clist, *nlist, *stack;
	unsigned *mark;
	unsigned gen;
};

struct schema_vm_build {
	struct schema_regex *re;
	const struct schema_re_tree *tree;
	int *set_of_class;          /* class -> set index, -1 none yet */
	unsigned long work;
	bool failed;
	char *err;
	size_t errlen;
};

/* ---- compiling --------------------------------------------------------- */

static void
schema_vm_too_large(struct schema_vm_build *b)
{
	if (!b->failed && b->err && b->errlen)
		snprintf(b->err, b->errlen, "pattern too large once repetitions "
		    "are expanded");
	b->failed = true;
}

static int
schema_vm_emit(struct schema_vm_build *b, int op, int lo, int hi, int x)
{
	struct schema_regex *re = b->re;
	struct schema_vm_inst *bigger, *in;
	int cap;

	if (b->failed)
		return -1;
	if (re->n == re->cap) {
		if (re->n >= SCHEMA_RE_INST_MAX) {
			schema_vm_too_large(b);
			return -1;
		}
		cap = re->cap ? re->cap * 2 : 64;
		if (cap > SCHEMA_RE_INST_MAX)
			cap = SCHEMA_RE_INST_MAX;
		if (!(bigger = realloc(re->prog, (size_t)cap * sizeof(*bigger)))) {
			if (b->err && b->errlen)
				snprintf(b->err, b->errlen, "out of memory");
			b->failed = true;
			return -1;
		}
		re->prog = bigger;
		re->cap = cap;
	}
	in = &re->prog[re->n];
	in->op = (unsigned char)op;
	in->lo = (unsigned char)lo;
	in->hi = (unsigned char)hi;
	in->x = x;
	in->y = -1;
	return re->n++;
}

/* Points every instruction of a patch chain (linked through field) at
 * target. */
static void
schema_vm_patch(struct schema_vm_build *b, int chain, bool y, int target)
{
	struct schema_vm_inst *in;
	int next;

	for (; chain >= 0 && !b->failed; chain = next) {
		in = &b->re->prog[chain];
		next = y ? in->y : in->x;
		if (y)
			in->y = target;
		else
			in->x = target;
	}
}

static int
schema_vm_set(struct schema_vm_build *b, int cls)
{
	struct schema_regex *re = b->re;
	unsigned char (*bigger)[16];

	if (b->set_of_class[cls] >= 0)
		return b->set_of_class[cls];
	/* at most one set per class of the pattern, never per copy */
	if (!(bigger = realloc(re->sets, (size_t)(re->n_sets + 1) *
	    sizeof(*bigger)))) {
		if (b->err && b->errlen)
			snprintf(b->err, b->errlen, "out of memory");
		b->failed = true;
		return 0;
	}
	re->sets = bigger;
	memcpy(re->sets[re->n_sets], b->tree->classes[cls].ascii, 16);
	return b->set_of_class[cls] = re->n_sets++;
}

/* Piece i of a class: its ASCII set, then the three lengths of any
 * non-ASCII character, or each listed non-ASCII character. */
static void
schema_vm_piece(struct schema_vm_build *b, int cls, int i, bool ascii)
{
	const struct schema_re_class *c = &b->tree->classes[cls];
	unsigned char u[4];
	int k, n;

	if (ascii && i-- == 0) {
		schema_vm_emit(b, SCHEMA_VM_SET, 0, 0, schema_vm_set(b, cls));
		return;
	}
	if (c->nonascii) {
		/* lead byte first, so a match never starts inside one */
		static const unsigned char lead[3][2] = {
			{ 0xc2, 0xdf }, { 0xe0, 0xef }, { 0xf0, 0xf4 },
		};

		schema_vm_emit(b, SCHEMA_VM_RANGE, lead[i][0], lead[i][1], 0);
		for (k = 0; k <= i; k++)
			schema_vm_emit(b, SCHEMA_VM_RANGE, 0x80, 0xbf, 0);
		return;
	}
	n = schema__utf8_encode(c->extra[i], u);
	for (k = 0; k < n; k++)
		schema_vm_emit(b, SCHEMA_VM_BYTE, u[k], 0, 0);
}

static void
schema_vm_class(struct schema_vm_build *b, int cls)
{
	const struct schema_re_class *c = &b->tree->classes[cls];
	bool ascii = false;
	int pieces, i, split, jmp, chain = -1;

	for (i = 0; i < 16; i++)
		ascii |= c->ascii[i] != 0;
	pieces = ascii + (c->nonascii ? 3 : c->n_extra);
	if (pieces == 0) {
		/* [] matches nothing */
		schema_vm_emit(b, SCHEMA_VM_RANGE, 1, 0, 0);
		return;
	}
	for (i = 0; i < pieces && !b->failed; i++) {
		split = -1;
		if (i + 1 < pieces)
			split = schema_vm_emit(b, SCHEMA_VM_SPLIT, 0, 0,
			    b->re->n + 1);
		schema_vm_piece(b, cls, i, ascii);
		if (split < 0 || b->failed)
			continue;
		jmp = schema_vm_emit(b, SCHEMA_VM_JMP, 0, 0, chain);
		chain = jmp;
		if (!b->failed)
			b->re->prog[split].y = b->re->n;
	}
	schema_vm_patch(b, chain, false, b->re->n);
}

static void
schema_vm_node(struct schema_vm_build *b, int idx)
{
	const struct schema_re_node *nd = &b->tree->nodes[idx];
	int c, i, split, jmp, chain = -1, loop;

	/* Copies of an empty atom emit nothing: count the walk itself. */
	if (b->failed || ++b->work > 4UL * SCHEMA_RE_INST_MAX) {
		schema_vm_too_large(b);
		return;
	}
	switch (nd->kind) {
	case SCHEMA_RE_CHAR:
		for (i = 0; i < nd->len; i++)
			schema_vm_emit(b, SCHEMA_VM_BYTE, nd->bytes[i], 0, 0);
		return;
	case SCHEMA_RE_CLASS:
		schema_vm_class(b, nd->cls);
		return;
	case SCHEMA_RE_BOL:
		schema_vm_emit(b, SCHEMA_VM_BOL, 0, 0, 0);
		return;
	case SCHEMA_RE_EOL:
		schema_vm_emit(b, SCHEMA_VM_EOL, 0, 0, 0);
		return;
	case SCHEMA_RE_CAT:
		for (c = nd->child; c >= 0; c = b->tree->nodes[c].next)
			schema_vm_node(b, c);
		return;
	case SCHEMA_RE_ALT:
		for (c = nd->child; c >= 0 && !b->failed;
		    c = b->tree->nodes[c].next) {
			split = -1;
			if (b->tree->nodes[c].next >= 0)
				split = schema_vm_emit(b, SCHEMA_VM_SPLIT, 0, 0,
				    b->re->n + 1);
			schema_vm_node(b, c);
			if (split < 0 || b->failed)
				continue;
			jmp = schema_vm_emit(b, SCHEMA_VM_JMP, 0, 0, chain);
			chain = jmp;
			if (!b->failed)
				b->re->prog[split].y = b->re->n;
		}
		schema_vm_patch(b, chain, false, b->re->n);
		return;
	case SCHEMA_RE_REPEAT:
		for (i = 0; i < nd->min && !b->failed; i++)
			schema_vm_node(b, nd->child);
		if (nd->max < 0) {
			loop = schema_vm_emit(b, SCHEMA_VM_SPLIT, 0, 0,
			    b->re->n + 1);
			schema_vm_node(b, nd->child);
			schema_vm_emit(b, SCHEMA_VM_JMP, 0, 0, loop);
			if (!b->failed)
				b->re->prog[loop].y = b->re->n;
			return;
		}
		/* x{m,n}: n - m optional copies, each one's exit at the end */
		for (i = nd->min; i < nd->max && !b->failed; i++) {
			split = schema_vm_emit(b, SCHEMA_VM_SPLIT, 0, 0,
			    b->re->n + 1);
			if (split >= 0)
				b->re->prog[split].y = chain;
			chain = split;
			schema_vm_node(b, nd->child);
		}
		schema_vm_patch(b, chain, true, b->re->n);
		return;
	}
}

struct schema_regex *
schema__regex_new(const char *ecma, char *err, size_t errlen)
{
	struct schema_re_tree tree;
	struct schema_vm_build b;
	struct schema_regex *re;
	int i;

	if (schema__re_parse(ecma, &tree, err, errlen) != 0) {
		schema__re_tree_free(&tree);
		return NULL;
	}
	memset(&b, 0, sizeof(b));
	b.tree = &tree;
	b.err = err;
	b.errlen = errlen;
	if (!(re = calloc(1, sizeof(*re))) || !(b.set_of_class = malloc(
	    (size_t)(tree.n_classes + 1) * sizeof(int)))) {
		snprintf(err, errlen, "out of memory");
		b.failed = true;
		goto out;
	}
	b.re = re;
	for (i = 0; i < tree.n_classes; i++)
		b.set_of_class[i] = -1;
	schema_vm_node(&b, tree.root);
	schema_vm_emit(&b, SCHEMA_VM_MATCH, 0, 0, 0);
	if (b.failed)
		goto out;
	re->clist = malloc((size_t)re->n * sizeof(int));
	re->nlist = malloc((size_t)re->n * sizeof(int));
	re->stack = malloc((size_t)re->n * sizeof(int));
	re->mark = calloc((size_t)re->n, sizeof(unsigned));
	if (!re->clist || !re->nlist || !re->stack || !re->mark) {
		snprintf(err, errlen, "out of memory");
		b.failed = true;
	}
out:
	free(b.set_of_class);
	schema__re_tree_free(&tree);
	if (b.failed) {
		schema__regex_free(re);
		return NULL;
	}
	return re;
}

void
schema__regex_free(struct schema_regex *re)
{
	if (!re)
		return;
	free(re->prog);
	free(re->sets);
	free(re->clist);
	free(re->nlist);
	free(re->stack);
	free(re->mark);
	free(re);
}

/* ---- matching ---------------------------------------------------------- */

static void
schema_vm_push(struct schema_regex *re, int pc, int *top)
{
	if (re->mark[pc] == re->gen)
		return;
	re->mark[pc] = re->gen;
	re->stack[(*top)++] = pc;
}

/* Adds the thread at pc and all it reaches without reading a byte; each
 * pc at most once a generation, so list and stack never overflow. */
static void
schema_vm_add(struct schema_regex *re, int *list, int *n, int pc,
    size_t pos, size_t len)
{
	const struct schema_vm_inst *in;
	int top = 0;

	schema_vm_push(re, pc, &top);
	while (top > 0) {
		pc = re->stack[--top];
		in = &re->prog[pc];
		switch (in->op) {
		case SCHEMA_VM_JMP:
			schema_vm_push(re, in->x, &top);
			break;
		case SCHEMA_VM_SPLIT:
			schema_vm_push(re, in->y, &top);
			schema_vm_push(re, in->x, &top);
			break;
		case SCHEMA_VM_BOL:
			if (pos == 0)
				schema_vm_push(re, pc + 1, &top);
			break;
		case SCHEMA_VM_EOL:
			if (pos == len)
				schema_vm_push(re, pc + 1, &top);
			break;
		default:
			list[(*n)++] = pc;
		}
	}
}

static void
schema_vm_next_gen(struct schema_regex *re)
{
	if (++re->gen == 0) {
		memset(re->mark, 0, (size_t)re->n * sizeof(*re->mark));
		re->gen = 1;
	}
}

static bool
schema_vm_reads(const struct schema_regex *re, const struct schema_vm_inst *in,
    unsigned char c)
{
	switch (in->op) {
	case SCHEMA_VM_BYTE:
		return c == in->lo;
	case SCHEMA_VM_RANGE:
		return c >= in->lo && c <= in->hi;
	case SCHEMA_VM_SET:
		return c < 128 && (re->sets[in->x][c >> 3] & (1u << (c & 7)));
	}
	return false;
}

int
schema__regex_match(struct schema_regex *re, const char *s,
    unsigned long *work, unsigned long max_work)
{
	size_t len = strlen(s), pos;
	int *cl = re->clist, *nl = re->nlist, *tmp, n = 0, nn, i;

	schema_vm_next_gen(re);
	for (pos = 0; ; pos++) {
		/* a match may start anywhere: a new thread at each byte */
		schema_vm_add(re, cl, &n, 0, pos, len);
		*work += (unsigned long)n + 1;
		if (*work > max_work)
			return -1;
		for (i = 0; i < n; i++)
			if (re->prog[cl[i]].op == SCHEMA_VM_MATCH)
				return 1;
		if (pos == len)
			return 0;
		schema_vm_next_gen(re);
		nn = 0;
		for (i = 0; i < n; i++)
			if (schema_vm_reads(re, &re->prog[cl[i]],
			    (unsigned char)s[pos]))
				schema_vm_add(re, nl, &nn, cl[i] + 1, pos + 1, len);
		tmp = cl;
		cl = nl;
		nl = tmp;
		n = nn;
	}
}
