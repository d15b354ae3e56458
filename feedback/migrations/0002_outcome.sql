-- The decision's graded outcome of each logged question (index.deciding.decide): answer, related or none.
-- Rows logged before it read NULL: answer or none as `answerable` says.
ALTER TABLE queries ADD COLUMN outcome TEXT COLLATE "C";
