DOCS = [
("product-water-bottle", "https://shop.example.net/outdoor/steel-water-bottle-750",
"""Insulated Steel Water Bottle, 750 ml

Keeps drinks cold for 24 hours or hot for 12. The double wall has a vacuum between the two layers of steel, and since heat cannot travel through a vacuum by conduction, very little of it gets in or out.

- Food-grade stainless steel, no plastic taste
- Leak-proof lid with a carrying loop
- Fits most car cup holders
- Weight: 380 grams

The bottle is not dishwasher safe, because the high heat can damage the vacuum seal and the powder coating. Wash it by hand with warm soapy water and a bottle brush.

Do not put the bottle in the freezer. Water expands when it freezes, therefore a full bottle can bulge or crack.

Why steel and not plastic? Steel bottles last for years and do not absorb smells. However, they are heavier than plastic ones, so ultralight hikers sometimes prefer a soft flask.

Colours: forest green, slate, sand and ocean blue."""),

("explainer-inflation", "https://money.example.com/explainers/what-is-inflation",
"""What Is Inflation, and Why Does It Matter?

Inflation is the rate at which the general level of prices rises over time. If inflation is 3 percent a year, a basket of goods that costs 100 dollars today will cost about 103 dollars a year from now. The same amount of money therefore buys a little less each year.

How it is measured
Statistics offices track the prices of hundreds of goods and services that typical households buy, from bread and rent to haircuts and bus tickets. Each item gets a weight based on how much households spend on it. The weighted average change is published every month as the consumer price index. However, no single household buys exactly this basket, so your personal inflation rate can be higher or lower than the official figure. A family that spends a large share of its income on rent, for example, feels rising rents much more strongly.

What causes it
Prices can rise because demand grows faster than the economy's ability to produce goods, for example when people have extra savings to spend after a crisis. Prices can also rise because costs go up: when the price of oil jumps, transport and heating become more expensive, and as a result companies raise the prices of many other products. Expectations matter too. If workers and businesses expect high inflation, they ask for higher wages and set higher prices in advance, which can keep inflation going.

Why a little inflation is normal
Most central banks aim for inflation of about 2 percent rather than zero. Falling prices, called deflation, can be harmful, because people delay purchases when they expect things to be cheaper later, and businesses then cut production and jobs. A small positive rate also gives central banks room to cut interest rates in a downturn.

What central banks do
When inflation is too high, central banks usually raise interest rates. Higher rates make borrowing more expensive, so households and companies spend and invest less, and demand cools. The effect is slow, however: it typically takes one to two years before a change in interest rates has its full effect on prices.

Who wins and who loses
Inflation hurts people whose income does not keep up, such as pensioners on fixed payments and workers whose wages are not adjusted. It also reduces the real value of savings held in cash. Borrowers, on the other hand, can benefit, since the money they pay back is worth less than the money they borrowed. Therefore unexpected inflation quietly moves wealth from savers to borrowers."""),
]
