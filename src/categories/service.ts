import type { Category, Database, TicketType } from '../db/client.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import type { LocaleCode } from '../i18n/index.ts';

export function categoryName(category: Pick<Category, 'nameFr' | 'nameEn'>, locale: LocaleCode) {
  return locale === 'en' ? category.nameEn : category.nameFr;
}

/** Name of a category preceded by its parent's, such as "Matériel › Nouvel ordinateur". */
export function categoryPath(
  category: Pick<Category, 'nameFr' | 'nameEn'> & {
    parent?: Pick<Category, 'nameFr' | 'nameEn'> | null;
  },
  locale: LocaleCode,
): string {
  const name = categoryName(category, locale);
  return category.parent ? `${categoryName(category.parent, locale)} › ${name}` : name;
}

export interface CategoryOption {
  id: number;
  label: string;
}

/**
 * Active categories of a type as form options, each parent followed by its active children
 * ("Parent › Child"). Children of an inactive parent are hidden with it.
 */
export async function listCategoryOptions(
  db: Database,
  type: TicketType,
  locale: LocaleCode,
): Promise<CategoryOption[]> {
  const categories = await db.category.findMany({
    where: { type, active: true },
    orderBy: [{ position: 'asc' }, { id: 'asc' }],
  });
  const options: CategoryOption[] = [];
  for (const parent of categories.filter((category) => category.parentId === null)) {
    options.push({ id: parent.id, label: categoryName(parent, locale) });
    for (const child of categories.filter((category) => category.parentId === parent.id)) {
      options.push({
        id: child.id,
        label: `${categoryName(parent, locale)} › ${categoryName(child, locale)}`,
      });
    }
  }
  return options;
}

/** Returns whether the category can be chosen for a new ticket of this type. */
export async function isSelectableCategory(db: Database, id: number, type: TicketType) {
  const category = await db.category.findFirst({
    where: { id, type, active: true },
    include: { parent: true },
  });
  return Boolean(category && (!category.parent || category.parent.active));
}

/** A top-level category with its sub-categories, active or not, each list in display order. */
export type CategoryTreeNode = Category & { children: Category[] };

const DISPLAY_ORDER = [{ position: 'asc' }, { id: 'asc' }] as const satisfies object[];

/** Gap between the positions given to siblings, so that a later insert needs no renumbering. */
const POSITION_STEP = 10;

const ERRORS = 'admin.categories.errors';

/** Lists every category of a type for the admin page, each parent with its children. */
export async function listCategoryTree(
  db: Database,
  type: TicketType,
): Promise<CategoryTreeNode[]> {
  const categories = await db.category.findMany({ where: { type }, orderBy: [...DISPLAY_ORDER] });
  return categories
    .filter((category) => category.parentId === null)
    .map((parent) => ({
      ...parent,
      children: categories.filter((category) => category.parentId === parent.id),
    }));
}

/** Finds a category of this type with its sub-categories; throws NotFoundError otherwise. */
export async function findCategory(db: Database, id: number, type: TicketType) {
  const category = await db.category.findFirst({
    where: { id, type },
    include: { parent: true, children: { orderBy: [...DISPLAY_ORDER] } },
  });
  if (!category) throw new NotFoundError(`Category ${id} of type ${type}`);
  return category;
}

export interface CategoryNames {
  nameFr: string;
  nameEn: string;
}

export interface NewCategory extends CategoryNames {
  type: TicketType;
  /** Null for a top-level category. */
  parentId: number | null;
}

export interface CategoryChange extends NewCategory {
  id: number;
}

type Transaction = Parameters<Parameters<Database['$transaction']>[0]>[0];

/**
 * Serialises the changes to the categories of a type until the transaction ends, so that the
 * duplicate-name checks and the position arithmetic see every committed change.
 */
async function lockCategories(tx: Transaction, type: TicketType) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`categories:${type}`}))`;
}

function siblingsOf(type: TicketType, parentId: number | null) {
  return { type, parentId };
}

/** Compares names ignoring case but not accents: "réseau" matches "Réseau", not "Reseau". */
function sameName(left: string, right: string) {
  return left.localeCompare(right, 'fr', { sensitivity: 'accent' }) === 0;
}

/** Field errors for names already used by an active sibling, other than the category itself. */
async function findNameConflicts(
  tx: Transaction,
  target: { type: TicketType; parentId: number | null; excludeId?: number } & CategoryNames,
) {
  const siblings = await tx.category.findMany({
    where: {
      ...siblingsOf(target.type, target.parentId),
      active: true,
      ...(target.excludeId ? { id: { not: target.excludeId } } : {}),
    },
  });
  const errors: Record<string, string> = {};
  if (siblings.some((sibling) => sameName(sibling.nameFr, target.nameFr))) {
    errors.nameFr = `${ERRORS}.nameFrTaken`;
  }
  if (siblings.some((sibling) => sameName(sibling.nameEn, target.nameEn))) {
    errors.nameEn = `${ERRORS}.nameEnTaken`;
  }
  return errors;
}

/**
 * Checks that `parentId` may become the parent of a category of `type`: it exists, is of the
 * same type and is top-level. Returns the locale key of the error, or null.
 */
async function checkParent(tx: Transaction, type: TicketType, parentId: number) {
  const parent = await tx.category.findUnique({ where: { id: parentId } });
  if (!parent) return `${ERRORS}.parentNotFound`;
  if (parent.type !== type) return `${ERRORS}.parentOtherType`;
  if (parent.parentId !== null) return `${ERRORS}.parentNotTopLevel`;
  return null;
}

async function nextPosition(tx: Transaction, type: TicketType, parentId: number | null) {
  const last = await tx.category.aggregate({
    where: siblingsOf(type, parentId),
    _max: { position: true },
  });
  return (last._max.position ?? 0) + POSITION_STEP;
}

/** Adds an active category after its future siblings; throws InvalidInputError on a rule. */
export async function createCategory(db: Database, input: NewCategory) {
  return db.$transaction(async (tx) => {
    await lockCategories(tx, input.type);

    const errors: Record<string, string> = {};
    const parentError =
      input.parentId === null ? null : await checkParent(tx, input.type, input.parentId);
    if (parentError) errors.parentId = parentError;
    else Object.assign(errors, await findNameConflicts(tx, input));
    if (Object.keys(errors).length > 0) throw new InvalidInputError(errors);

    return tx.category.create({
      data: {
        type: input.type,
        parentId: input.parentId,
        nameFr: input.nameFr,
        nameEn: input.nameEn,
        position: await nextPosition(tx, input.type, input.parentId),
      },
    });
  });
}

/**
 * Renames a category and sets its parent. A category that changes parent goes last among its
 * new siblings. Throws NotFoundError for an id of another type, InvalidInputError on a rule.
 */
export async function updateCategory(db: Database, input: CategoryChange) {
  return db.$transaction(async (tx) => {
    await lockCategories(tx, input.type);
    const category = await tx.category.findFirst({
      where: { id: input.id, type: input.type },
      include: { _count: { select: { children: true } } },
    });
    if (!category) throw new NotFoundError(`Category ${input.id} of type ${input.type}`);

    const errors: Record<string, string> = {};
    let parentError: string | null = null;
    if (input.parentId === input.id) parentError = `${ERRORS}.parentSelf`;
    else if (input.parentId !== null && category._count.children > 0) {
      parentError = `${ERRORS}.hasChildren`;
    } else if (input.parentId !== null) {
      parentError = await checkParent(tx, input.type, input.parentId);
    }
    if (parentError) errors.parentId = parentError;
    // An inactive category may share a name with an active sibling until it is reactivated.
    else if (category.active) {
      Object.assign(errors, await findNameConflicts(tx, { ...input, excludeId: input.id }));
    }
    if (Object.keys(errors).length > 0) throw new InvalidInputError(errors);

    const parentChanged = input.parentId !== category.parentId;
    return tx.category.update({
      where: { id: category.id },
      data: {
        nameFr: input.nameFr,
        nameEn: input.nameEn,
        parentId: input.parentId,
        ...(parentChanged ? { position: await nextPosition(tx, input.type, input.parentId) } : {}),
      },
    });
  });
}

export interface CategoryMove {
  id: number;
  type: TicketType;
  direction: 'up' | 'down';
}

/**
 * Swaps a category with its previous or next sibling and renumbers the siblings in steps of
 * POSITION_STEP, so that equal positions cannot stall a move. Returns false when the category
 * is already first (up) or last (down), and changes nothing then.
 */
export async function moveCategory(db: Database, input: CategoryMove): Promise<boolean> {
  return db.$transaction(async (tx) => {
    await lockCategories(tx, input.type);
    const category = await tx.category.findFirst({ where: { id: input.id, type: input.type } });
    if (!category) throw new NotFoundError(`Category ${input.id} of type ${input.type}`);

    const siblings = await tx.category.findMany({
      where: siblingsOf(category.type, category.parentId),
      orderBy: [...DISPLAY_ORDER],
    });
    const index = siblings.findIndex((sibling) => sibling.id === category.id);
    const neighbour = input.direction === 'up' ? index - 1 : index + 1;
    if (neighbour < 0 || neighbour >= siblings.length) return false;

    [siblings[index], siblings[neighbour]] = [siblings[neighbour], siblings[index]];
    for (const [rank, sibling] of siblings.entries()) {
      const position = (rank + 1) * POSITION_STEP;
      if (sibling.position === position) continue;
      await tx.category.update({ where: { id: sibling.id }, data: { position } });
    }
    return true;
  });
}

export interface CategoryActivation {
  id: number;
  type: TicketType;
  active: boolean;
}

/**
 * Deactivates or reactivates a category. Its sub-categories keep their own flag: the ticket
 * forms hide them while the parent is inactive. Reactivating throws InvalidInputError when an
 * active sibling has taken one of its names meanwhile.
 */
export async function setCategoryActive(db: Database, input: CategoryActivation) {
  return db.$transaction(async (tx) => {
    await lockCategories(tx, input.type);
    const category = await tx.category.findFirst({ where: { id: input.id, type: input.type } });
    if (!category) throw new NotFoundError(`Category ${input.id} of type ${input.type}`);
    if (category.active === input.active) return category;

    if (input.active) {
      const errors = await findNameConflicts(tx, { ...category, excludeId: category.id });
      if (Object.keys(errors).length > 0) throw new InvalidInputError(errors);
    }
    return tx.category.update({ where: { id: category.id }, data: { active: input.active } });
  });
}
